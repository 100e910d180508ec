"""The tokens page (``/api/tokens/``): a person's own personal access tokens, making one (shown once, on the page
that answers the POST) and revoking one. Internal users get the internal layout, client contacts the portal's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_shown
from apm.api.errors import PROBLEM_TYPE
from apm.api.forms import TokenForm
from apm.api.models import ApiToken
from apm.api.services import token_create, token_revoke
from apm.dates import parse_id_param
from apm.http import AuthenticatedHttpRequest


def _page(request: AuthenticatedHttpRequest, form: TokenForm, *, made: str = "", status: int = 200) -> HttpResponse:
    internal = access.see_workspace.allows(request.user)
    example = reverse("api-project-list") if internal else reverse("api-portal-project-list")
    context: dict[str, Any] = {
        "frame": "base.html" if internal else "portal/base.html",
        "form": form,
        "tokens": request.user.api_tokens.prefetch_related("projects").order_by("-created_at", "-pk"),
        "made": made,
        "example_url": request.build_absolute_uri(example),
    }
    response = render(request, "api/tokens.html", context, status=status)
    return response


@never_cache
@login_required
def tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's tokens (name, scope, projects, life, last use, state) and the form to make one.

    A new token is shown once, on the page answering the POST (``Cache-Control: no-store``); only its digest is
    kept, so it is never shown again.
    """
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form_valid_or_shown(request, form, failed="No token was made."):
        with refusal_shown(request, failed="No token was made."):
            row, token = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                can_write=form.can_write,
                days=form.cleaned_data["days"],
                projects=form.cleaned_data["projects"],
                request=request,
            )
            messages.success(request, f"Token “{row.name}” made: copy it now, it is not shown again.")
            return _page(request, TokenForm(user=request.user), made=token)
    return _page(request, form)


@require_POST
@login_required
def token_revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the person's own tokens at once (another's is a 404)."""
    number = parse_id_param(str(pk))
    token = ApiToken.objects.filter(pk=number, user=request.user).select_related("user").first() if number else None
    if token is None:
        raise Http404("No such token of yours.")
    with refusal_shown(request, failed="The token was not revoked:"):
        token_revoke(token=token, by=request.user, request=request)
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api-tokens")


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """An address under ``/api/v1/`` that no endpoint answers: a 404 problem, as the endpoints' own 404s are, not
    the site's HTML page."""
    body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No such endpoint or object."}
    return JsonResponse(body, status=404, content_type=PROBLEM_TYPE)
