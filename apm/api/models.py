"""Personal access tokens for the REST API.

A token is ``apm_<prefix>_<secret>``: ``prefix`` (12 characters) finds the row, and only the SHA-256 of the
whole token is stored (``digest``), so the database never holds a usable token; the token itself is shown
once, when it is made. ``can_write`` is the write scope (a read token's POST, PUT, PATCH or DELETE is a 403);
``projects``, when any are chosen, narrows the token to them (never widens what its person may see). A token
works until ``expires_at`` or until revoked; deactivating its person revokes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["ApiToken"]


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text='What the token is for ("CRM sync", "BI nightly").')
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the token, hex.")
    can_write = models.BooleanField(default=False, help_text="Write scope: may create and change, not only read.")
    projects = models.ManyToManyField(
        "projects.Project",
        blank=True,
        related_name="+",
        help_text="Only these projects (none chosen: all the person may see).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def scope(self) -> str:
        return "read and write" if self.can_write else "read"

    @property
    def state(self) -> str:
        """``"revoked"``, ``"expired"`` or ``"active"``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"
