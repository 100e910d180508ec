"""Who calls the API: a personal access token (``Authorization: Bearer apm_…``) or the browser's session.

A token is found by its prefix and compared by its SHA-256 in constant time; a revoked or expired token, or
one whose person is inactive, is refused with the same 401 as an unknown one. Its last use (time and
address) is written at most once a minute, by a conditional UPDATE, so reads stay reads.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apm.accounts.ip import client_ip
from apm.api.models import ApiToken
from apm.api.services import token_digest, token_parts

#: How often a token's last use is written.
LAST_USED_EVERY = timedelta(minutes=1)
_REFUSED = "The token is unknown, expired or revoked."


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        parts = token_parts(value.strip())
        if parts is None:
            raise exceptions.AuthenticationFailed(_REFUSED)
        prefix, token = parts
        row = (
            ApiToken.objects.select_related("user", "user__team_member", "user__client_contact")
            .filter(prefix=prefix, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if row is None or not hmac.compare_digest(row.digest, token_digest(token)) or not row.user.is_active:
            raise exceptions.AuthenticationFailed(_REFUSED)
        now = timezone.now()
        if row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY:
            ApiToken.objects.filter(pk=row.pk).exclude(last_used_at__gte=now - LAST_USED_EVERY).update(
                last_used_at=now, last_used_ip=client_ip(request._request)
            )
        return row.user, row

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's own session (with Django's CSRF check on writes)."""
