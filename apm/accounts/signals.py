"""Audit rows for logins, failed logins and logouts (Django's auth signals)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from apm.accounts.models import User


@receiver(user_logged_in, dispatch_uid="apm_audit_login")
def _logged_in(sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(kind=AuditKind.LOGIN, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="apm_audit_login_failed")
def _login_failed(sender: str, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    # ``credentials`` has the password replaced by Django; keep only the name typed.
    audit_record(kind=AuditKind.LOGIN_FAILED, request=request, username=str(credentials.get("username", "")))


@receiver(user_logged_out, dispatch_uid="apm_audit_logout")
def _logged_out(sender: type[object], request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(kind=AuditKind.LOGOUT, request=request, user=user)
