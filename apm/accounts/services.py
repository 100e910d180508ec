"""Accounts services: the audit log and invitations (one-time, expiring set-password links).

Every email goes through the outbox (``apm.outbox.services.outbox_enqueue``),
so an invitation is written in the same transaction as its email.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from apm.accounts.ip import client_ip
from apm.accounts.models import AuditEvent, AuditKind, Invitation
from apm.errors import Refused
from apm.outbox.services import email_render, outbox_enqueue

if TYPE_CHECKING:
    from apm.accounts.models import User


def token_hash(token: str) -> str:
    """SHA-256 of a link token, hex (64 characters): what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh URL-safe random token (256 bits)."""
    return secrets.token_urlsafe(32)


def audit_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row: who (``user`` or the request's user), when (now), from where (proxy-aware IP).

    ``kind`` is an :class:`AuditKind` value. An anonymous request gives a row
    with ``user`` null and the ``username`` given (for a failed login, what
    was typed).
    """
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        target=target[:200],
        detail=detail or {},
    )


def invitation_create(*, user: User, invited_by: User | None, now: datetime | None = None) -> Invitation:
    """Invite ``user`` to set a password: retire older open invitations, write a new one, email the link.

    The link is ``APM_SITE_URL`` + ``/accounts/invitation/<token>/``, valid
    for ``APM_INVITATION_HOURS`` hours and once. The email (kind
    ``"invitation"``) goes through the outbox after commit. Raises
    :class:`apm.errors.Refused` when the user has no email address. Accepting the
    invitation activates the user.
    """
    if not user.email:
        raise Refused("This person has no email address to send the invitation to.")
    now = now or timezone.now()
    token = new_token()
    with transaction.atomic():
        Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now, retired=True)
        invitation = Invitation.objects.create(
            user=user,
            token_hash=token_hash(token),
            invited_by=invited_by,
            expires_at=now + timedelta(hours=settings.APM_INVITATION_HOURS),
        )
        context = {
            "user": user,
            "invited_by": invited_by,
            "link": settings.APM_SITE_URL.rstrip("/") + reverse("accounts:invitation", args=[token]),
            "expires_at": invitation.expires_at,
            "hours": settings.APM_INVITATION_HOURS,
        }
        outbox_enqueue(
            kind="invitation",
            to=[user.email],
            **email_render("invitation", context),
        )
        audit_record(
            kind=AuditKind.INVITATION_SENT,
            user=invited_by,
            target=f"user:{user.pk}",
            detail={"invited": user.get_username(), "expires_at": invitation.expires_at.isoformat()},
        )
    # The raw token lives only in the email; tests read it from there.
    return invitation


def invitation_find(*, token: str, now: datetime | None = None) -> Invitation | None:
    """The open invitation for ``token`` (not used, not expired), or None."""
    now = now or timezone.now()
    return (
        Invitation.objects.select_related("user")
        .filter(token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )


def invitation_accept(
    *, token: str, password: str, request: HttpRequest | None = None, now: datetime | None = None
) -> User | None:
    """Set the invited user's password and activate them; the link then never works again.

    Returns the user, or None when the link is unknown, used or expired (also
    when another request used it a moment before: the invitation is claimed
    with a conditional UPDATE). Raises ``django.core.exceptions.ValidationError``
    when the password fails the validators (the invitation stays open).
    """
    now = now or timezone.now()
    invitation = invitation_find(token=token, now=now)
    if invitation is None:
        return None
    user = invitation.user
    validate_password(password, user)
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        if claimed != 1:
            return None
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        audit_record(kind=AuditKind.INVITATION_ACCEPTED, request=request, user=user, target=f"user:{user.pk}")
    return user
