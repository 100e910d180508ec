"""Client portal pages. Thin: reads in ``projects.portal.selectors``, writes in services.

Projects are looked up inside ``apm.access.visible_projects`` (a client
contact: their client's projects), reports inside ``visible_reports``, share
links inside ``visible_share_links``: anything else is a 404. Every page
shows the client audience, also to internal users previewing it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apm.access import (
    CLIENT,
    can_decide_for_client,
    editable_projects,
    visible_client_contacts,
    visible_reports,
    visible_share_links,
)
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from projects.models import Project
from projects.portal import selectors
from projects.portal.forms import DecisionForm, ShareLinkForm
from projects.portal.models import ShareLink
from projects.portal.services import client_contact_invite, share_link_create, share_link_open, share_link_revoke

PAGE_SIZE = 50


def _project_or_404(request: HttpRequest, code: str) -> Project:
    return get_object_or_404(selectors.portal_projects(user=request.user), code=code)


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    """The projects the user follows (a client contact: their client's), 50 a page."""
    page = Paginator(selectors.portal_projects(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/home.html", {"page": page, "projects": page.object_list})


def _status_context(request: HttpRequest, project: Project, *, shared: ShareLink | None = None) -> dict:
    user = None if shared is not None else request.user
    return {
        "project": project,
        "status": selectors.portal_status(project=project),
        "reports": selectors.portal_reports(user=user, project=project),
        "shared": shared,
        "can_decide": shared is None and can_decide_for_client(request.user, project),
        "can_manage": shared is None and editable_projects(request.user).filter(pk=project.pk).exists(),
    }


@login_required
def portal_project(request: HttpRequest, code: str) -> HttpResponse:
    """A project's status page: RAG and trend, progress, milestones, decisions awaited, highlights, reports."""
    project = _project_or_404(request, code)
    return render(request, "portal/project.html", _status_context(request, project))


def _decide(request: HttpRequest, code: str, pk: int, *, what: str) -> HttpResponse:
    project = _project_or_404(request, code)
    api = selectors.quality_api()
    if api is None:
        raise Http404("Not available yet.")
    if what == "deliverable":
        item = get_object_or_404(api.deliverables_awaiting_sign_off(project=project), pk=pk)
    else:
        item = get_object_or_404(api.change_requests_awaiting_client(project=project), pk=pk)
    if not can_decide_for_client(request.user, project):
        raise PermissionDenied("Only the client decides here.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing was recorded: {errors}")
        return redirect("portal:project", code=project.code)
    comment = form.cleaned_data["comment"].strip()
    try:
        if what == "deliverable":
            api.deliverable_sign_off(deliverable=item, user=request.user, accepted=form.positive, comment=comment)
        else:
            api.change_request_decide(change_request=item, user=request.user, approve=form.positive, comment=comment)
    except (ValidationError, ValueError) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"Nothing was recorded: {text}")
        return redirect("portal:project", code=project.code)
    audit_record(
        kind=AuditKind.CLIENT_DECISION,
        request=request,
        target=f"{what}:{item.pk}",
        detail={"project": project.code, "decision": form.cleaned_data["decision"]},
    )
    messages.success(request, f"Thank you: your decision on “{item}” is recorded.")
    return redirect("portal:project", code=project.code)


@require_POST
@login_required
def deliverable_sign_off_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A client contact accepts or rejects a deliverable awaiting their sign-off."""
    return _decide(request, code, pk, what="deliverable")


@require_POST
@login_required
def change_request_decide_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A client contact approves or rejects a change request awaiting their decision."""
    return _decide(request, code, pk, what="change_request")


def _pdf_response(request: HttpRequest, report, *, via: str) -> FileResponse:
    try:
        handle = report.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The PDF file is missing.") from exc
    audit_record(
        kind=AuditKind.REPORT_DOWNLOADED,
        request=request,
        target=f"report:{report.pk}",
        detail={"via": via, "project": report.project.code if report.project_id else ""},
    )
    return FileResponse(handle, as_attachment=True, filename=f"{report.project.code}-{report.period_end}.pdf")


@login_required
def portal_report_pdf(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """Download a client-audience report PDF of a project the user sees (logged)."""
    project = _project_or_404(request, code)
    report = get_object_or_404(
        visible_reports(request.user).filter(project=project, audience=CLIENT, status="rendered").exclude(pdf=""),
        pk=pk,
    )
    return _pdf_response(request, report, via="portal")


def _dead_link(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/shared_invalid.html", status=404)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def shared_status(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only client status page behind a share link (no login; each opening logged)."""
    link = share_link_open(token=token, request=request)
    if link is None:
        return _dead_link(request)
    context = _status_context(request, link.project, shared=link) | {"token": token}
    response = render(request, "portal/project.html", context)
    # The token is in the address: never send it on in a Referer, never index the page.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def shared_report_pdf(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """A client report PDF of the shared project, through a live share link (logged)."""
    now = timezone.now()
    from apm.accounts.services import token_hash

    link = (
        ShareLink.objects.select_related("project")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None:
        return _dead_link(request)
    report = get_object_or_404(
        selectors.portal_reports(user=None, project=link.project)
        .model.objects.filter(project=link.project, audience=CLIENT, status="rendered")
        .exclude(pdf=""),
        pk=pk,
    )
    response = _pdf_response(request, report, via=f"share_link:{link.pk}")
    response["Referrer-Policy"] = "no-referrer"
    return response


def _manageable_project_or_404(request: HttpRequest, code: str) -> Project:
    return get_object_or_404(editable_projects(request.user).select_related("client"), code=code)


def _access_page(request: HttpRequest, project: Project, form: ShareLinkForm, new_link: str = "") -> HttpResponse:
    contacts = visible_client_contacts(request.user).filter(client=project.client_id).select_related("user")
    links = visible_share_links(request.user).filter(project=project).select_related("created_by")
    return render(
        request,
        "portal/access.html",
        {
            "project": project,
            "form": form,
            "new_link": new_link,
            "contacts": contacts if project.client_id else [],
            "links": links,
            "now": timezone.now(),
        },
    )


@login_required
def project_access(request: HttpRequest, code: str) -> HttpResponse:
    """Client access to a project (PMs, heads, admins): invite contacts; make and revoke share links.

    A new link is shown once on the page that answers the POST (only its hash is stored).
    """
    project = _manageable_project_or_404(request, code)
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = share_link_create(
            project=project, user=request.user, days=form.cleaned_data["days"], label=form.cleaned_data["label"]
        )
        url = request.build_absolute_uri(reverse("portal:shared", args=[made.token]))
        return _access_page(request, project, ShareLinkForm(), new_link=url)
    return _access_page(request, project, form)


@require_POST
@login_required
def share_link_revoke_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Revoke a share link at once."""
    project = _manageable_project_or_404(request, code)
    link = get_object_or_404(visible_share_links(request.user).filter(project=project), pk=pk)
    if share_link_revoke(link=link, user=request.user):
        messages.success(request, "The link is revoked: it no longer opens the status page.")
    return redirect("portal:access", code=project.code)


@require_POST
@login_required
def contact_invite_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Email a client contact a one-time link to set their password (through the outbox)."""
    project = _manageable_project_or_404(request, code)
    contact = get_object_or_404(
        visible_client_contacts(request.user).filter(client=project.client_id, client__isnull=False), pk=pk
    )
    try:
        client_contact_invite(contact=contact, invited_by=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation sent to {contact.email}.")
    return redirect("portal:access", code=project.code)
