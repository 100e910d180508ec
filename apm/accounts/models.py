"""Users and their role, invitations and the audit log. What each role may see is decided in ``apm.access``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from apm.accounts.roles import Role

__all__ = ["AuditEvent", "AuditKind", "Invitation", "Role", "User"]


class User(AbstractUser):
    """A login. ``role``, with the user's relationships to projects, decides what they may see and do:
    ``apm.access`` is the one place that reads it for that."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TEAM_MEMBER)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Invitation(models.Model):
    """A one-time, expiring link that lets ``user`` set their password.

    Only the SHA-256 of the token is stored (``token_hash``, hex); the token
    itself exists in the email alone. ``used_at`` is set once, by a
    conditional UPDATE, when the password is set; a new invitation for the
    same user retires the older ones (``used_at`` set, ``retired`` true).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    retired = models.BooleanField(default=False, help_text="Replaced by a newer invitation before it was used.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.user} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class AuditKind(models.TextChoices):
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logged out"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted (password set)"
    SHARE_LINK_CREATED = "share_link_created", "Share link created"
    SHARE_LINK_REVOKED = "share_link_revoked", "Share link revoked"
    SHARE_LINK_OPENED = "share_link_opened", "Share link opened"
    REPORT_DOWNLOADED = "report_downloaded", "Report downloaded"
    DOCUMENT_DOWNLOADED = "document_downloaded", "Document downloaded"
    CLIENT_DECISION = "client_decision", "Client decision"
    PROJECT_CLIENT_CHANGED = "project_client_changed", "Project's client changed"
    SCHEDULE_PAUSED = "schedule_paused", "Report schedule paused"
    SCHEDULE_RECIPIENT_PAUSED = "schedule_recipient_paused", "Recipient unsubscribed from a report schedule"
    SCHEDULE_RECIPIENT_RESUMED = "schedule_recipient_resumed", "Recipient put back on a report schedule"
    CLIENT_CONTACT_ADDED = "client_contact_added", "Client contact added"
    INVOICE_DOWNLOADED = "invoice_downloaded", "Invoice downloaded"
    API_TOKEN_CREATED = "api_token_created", "API token created"
    API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"


class AuditEvent(models.Model):
    """Who did what, when, from where: one row per event, never updated.

    ``user`` is null for anonymous events (a failed login, a share link
    opened); ``username`` keeps the name typed or held at the time.
    ``target`` names the object (``"report:12"``, ``"project:ALPHA-1"``),
    ``detail`` holds a few JSON facts; ``ip`` comes from
    ``apm.accounts.ip.client_ip`` (proxy-aware).
    """

    kind = models.CharField(max_length=30, choices=AuditKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    username = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    target = models.CharField(max_length=200, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username} {self.target}".strip()
