"""The base of every API endpoint: the policy decides the rows, the token may narrow them, reads are
conditional (``ETag``), errors are problems.

An app's ``api.py`` declares viewsets on :class:`ApiViewSet` (internal team) or :class:`PortalViewSet` (client
contacts) and implements ``visible(user)``: the policy's queryset of what the person may see (for example
``Deliverable.objects.filter(project__in=access.see_internal.queryset(user))``). ``project_path`` names the
lookup from a row to its project (``"project"``; ``"deliverable__project"``; ``"code"`` style lookups are the
project model's own ``""``), which a token limited to some projects narrows. Writes call the domain's
services, never ``serializer.save()`` on a model, so validation, refusals, history and audit are the forms'.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apm.api.models import ApiToken
from apm.api.permissions import ClientContact, Internal, SignedIn
from apm.dates import parse_id_param


def token_projects(request: Request) -> list[int] | None:
    """The ids of the projects the request's token is limited to, or ``None`` (no limit)."""
    token = request.auth
    if not isinstance(token, ApiToken):
        return None
    cached = getattr(request, "_apm_token_projects", None)
    if cached is None:
        cached = list(token.projects.values_list("pk", flat=True))
        request._apm_token_projects = cached  # type: ignore[attr-defined]
    return cached or None


class Conditional:
    """``ETag`` on every successful read (a hash of the body); ``If-None-Match`` with it answers 304."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("GET", "HEAD") and response.status_code == 200 and isinstance(response, Response):
            response.render()
            etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
            response["ETag"] = etag
            wanted = parse_etags(request.headers.get("If-None-Match", ""))
            if etag in wanted or "*" in wanted:
                not_modified = HttpResponseNotModified()
                not_modified["ETag"] = etag
                return not_modified
        return response


class _Visible(Conditional, viewsets.GenericViewSet):
    #: The lookup from a row to its project ("" for the project itself).
    project_path = "project"
    #: Whatever stands in the path reaches the view (the router's default stops at a dot, and Django's HTML 404
    #: is no problem details): :meth:`get_object` answers anything but a database id with a 404 problem.
    lookup_value_regex = "[^/]+"

    def get_object(self) -> Any:
        if self.lookup_field == "pk" and parse_id_param(str(self.kwargs.get("pk", ""))) is None:
            raise exceptions.NotFound("Not found, or not yours to see.")
        return super().get_object()

    def visible(self, user: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.visible(self.request.user)
        limit = token_projects(self.request)
        if limit is not None:
            field = f"{self.project_path}__in" if self.project_path else "pk__in"
            queryset = queryset.filter(**{field: limit})
        return queryset


class ApiViewSet(_Visible):
    """An internal team's endpoint (client contacts get a 403 pointing to the portal's)."""

    permission_classes = [Internal]


class PortalViewSet(_Visible):
    """A client contact's endpoint: values of the client view (``projects.common.client_view``) only."""

    permission_classes = [ClientContact]


class SignedInViewSet(_Visible):
    """An endpoint for everyone signed in, client contacts included (their own notifications): ``visible``
    alone decides the rows."""

    permission_classes = [SignedIn]
