"""Share links: a read-only status page of one project, by link, that expires and can be revoked."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ShareLink(models.Model):
    """A link to the client-audience status page of ``project``, usable without a login.

    Only the SHA-256 of the token is stored (``token_hash``, hex); the full
    link is shown once, when it is made. The link works while
    ``revoked_at`` is null and ``expires_at`` is in the future. Each opening
    is logged in the audit log (``share_link_opened``) and counted here.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(max_length=120, blank=True, help_text="Who it is for, e.g. “Board pack, March”.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    open_count = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Share link {self.pk} for {self.project_id} ({self.label or 'no label'})"
