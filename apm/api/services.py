"""Personal access tokens: make one (shown once), revoke one, revoke all of a person's."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.api.models import ApiToken
from apm.errors import Refused

if TYPE_CHECKING:
    from apm.accounts.models import User

#: Every token starts so (secret scanners and people can tell one at a glance).
TOKEN_START = "apm_"  # noqa: S105 - a prefix, not a secret


def token_digest(token: str) -> str:
    """SHA-256 of a whole token, hex: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_parts(token: str) -> tuple[str, str] | None:
    """``(prefix, token)`` of a well-formed ``apm_<prefix>_<secret>``, else ``None``."""
    if not token.startswith(TOKEN_START):
        return None
    prefix, sep, secret = token[len(TOKEN_START) :].partition("_")
    if not sep or len(prefix) != 12 or len(secret) < 32:
        return None
    return prefix, token


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    can_write: bool,
    days: int,
    projects: Iterable[Any] = (),
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the token itself, which is never stored or shown again.

    Refused: an inactive person, a blank name, a life outside 1 to ``APM_API_TOKEN_MAX_DAYS`` days, a write
    token for a client contact (their tokens read the client view only), a project the person may not see.
    """
    name = name.strip()
    if not user.is_active:
        raise Refused("An inactive person cannot have API tokens.")
    if not name:
        raise Refused("Give the token a name, so you can tell it from your others.")
    if not 1 <= days <= settings.APM_API_TOKEN_MAX_DAYS:
        raise Refused(f"A token lives from 1 to {settings.APM_API_TOKEN_MAX_DAYS} days.")
    if can_write and not access.see_workspace.allows(user):
        raise Refused("Client contacts' tokens can only read.")
    chosen = list(projects)
    visible = access.see_project.queryset(user)
    if chosen and visible.filter(pk__in=[p.pk for p in chosen]).count() != len({p.pk for p in chosen}):
        raise Refused("A token can be limited only to projects you can see.")
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        digest=token_digest(token),
        can_write=can_write,
        expires_at=timezone.now() + timedelta(days=days),
    )
    if chosen:
        row.projects.set(chosen)
    audit_record(
        kind=AuditKind.API_TOKEN_CREATED,
        request=request,
        user=user,
        target=f"api_token:{row.pk}",
        detail={
            "name": row.name,
            "scope": row.scope,
            "expires_at": row.expires_at.isoformat(),
            "projects": len(chosen),
        },
    )
    return row, token


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User, request: HttpRequest | None = None) -> ApiToken:
    """Revoke ``token`` (its own person, or an administrator); revoking twice changes nothing."""
    if token.user_id != by.pk and not access.administer.allows(by):
        raise Refused("Only its owner or an administrator may revoke a token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            kind=AuditKind.API_TOKEN_REVOKED,
            request=request,
            user=by,
            target=f"api_token:{token.pk}",
            detail={"name": token.name, "owner": token.user.username},
        )
    return token


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of ``user`` (deactivation); returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
