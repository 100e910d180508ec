"""The API's gates, each asking the access policy (``apm.access``); what a person may see inside an endpoint is
the policy's querysets, applied by :mod:`apm.api.viewsets`.

* :class:`SignedIn`: a signed-in, active person; a read token may only read (a write is a 403).
* :class:`Internal`: the internal team's endpoints (``see_workspace``): a client contact gets a 403 that
  points to ``/api/v1/portal/``, as the browser sends them to the portal.
* :class:`ClientContact`: the portal's endpoints, for client contacts only.
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from apm import access
from apm.api.models import ApiToken


class SignedIn(permissions.BasePermission):
    message = "This token can only read: make a token with the write scope to change anything."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        token = request.auth
        return not (
            isinstance(token, ApiToken) and not token.can_write and request.method not in permissions.SAFE_METHODS
        )


class Internal(SignedIn):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not access.see_workspace.allows(request.user):
            self.message = "This endpoint is for the internal team; client contacts read /api/v1/portal/."
            return False
        return True


class ClientContact(SignedIn):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if access.audience_for(request.user) != access.CLIENT:
            self.message = "The portal's endpoints are for client contacts; the team reads the other endpoints."
            return False
        return True
