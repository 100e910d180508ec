"""Client portal pages. Thin: reads in ``projects.portal.selectors``, writes in services.

Projects are looked up inside ``apm.access.see_project`` (a client contact:
their client's projects), reports inside ``see_report``, share links inside
``see_share_link``, invoices inside ``see_invoice`` (issued ones only):
anything else is a 404. Every status page shows the
client audience, also to internal users previewing it, and its template gets
only values of the client view (``projects.common.client_view``), never a
model instance.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apm import access
from apm.accounts.models import AuditKind, User
from apm.accounts.services import audit_record
from apm.actions import form_valid_or_shown, refusal_shown
from apm.http import AuthenticatedHttpRequest
from apm.paging import page_of
from projects.billing.invoice_pdf import invoice_pdf_document, invoice_pdf_name
from projects.changes.selectors import change_requests_awaiting_client
from projects.changes.services import change_request_decide
from projects.common import client_view
from projects.common.client_view import ArchivedReport
from projects.common.lookups import child_or_404, project_or_404
from projects.conversation.selectors import portal_threads
from projects.conversation.services import may_comment_on_portal
from projects.delivery.selectors import deliverables_awaiting_sign_off
from projects.delivery.services import deliverable_sign_off
from projects.models import ChangeRequest, Deliverable, Invoice, Project
from projects.portal import selectors
from projects.portal.forms import ContactForm, DecisionForm, ShareLinkForm
from projects.portal.services import (
    client_contact_add,
    client_contact_invite,
    share_link_create,
    share_link_open,
    share_link_revoke,
)

PAGE_SIZE = 50


def _pages(page: Page[Any]) -> dict[str, int | None]:
    """Where ``page`` stands among its pages, as plain numbers (a template gets no page of model instances)."""
    return {
        "number": page.number,
        "count": page.paginator.num_pages,
        "previous": page.previous_page_number() if page.has_previous() else None,
        "next": page.next_page_number() if page.has_next() else None,
    }


@login_required
def portal_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What waits for the client across their projects, then the projects they follow, 50 a page."""
    page = Paginator(selectors.portal_projects(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    projects = selectors.portal_cards(projects=list(page.object_list))
    waiting = selectors.portal_waiting(user=request.user)
    return render(request, "portal/home.html", {"projects": projects, "pages": _pages(page), "waiting": waiting})


@login_required
def portal_invoices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The client's issued invoices and credit notes, newest first, 50 a page (overdue ones marked), and this month
    of each of their retainers (hours included, used, left; the fee). Five queries whatever the number of rows:
    the session and the user, the page's invoices and their count, the retainer projects (and a sixth, their
    hours, when there are some)."""
    today = timezone.localdate()
    page, query = page_of(request, selectors.portal_invoices(user=request.user), PAGE_SIZE)
    invoices = [client_view.client_invoice_card(invoice, today=today) for invoice in page.object_list]
    retainers = selectors.portal_retainers(user=request.user, today=today)
    context = {"invoices": invoices, "pages": _pages(page), "query": query, "retainers": retainers, "today": today}
    return render(request, "portal/invoices.html", context)


def _invoice_or_404(request: AuthenticatedHttpRequest, pk: int) -> Invoice:
    invoice = selectors.portal_invoice(user=request.user, pk=pk)
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@login_required
def portal_invoice(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An issued invoice or credit note: its dates, lines and totals as the client is billed."""
    invoice = _invoice_or_404(request, pk)
    shown = selectors.portal_invoice_view(invoice=invoice, today=timezone.localdate())
    return render(request, "portal/invoice.html", {"invoice": shown})


@login_required
def portal_invoice_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The issued invoice or credit note as a PDF, the same document as the invoice pages give: the one emailed to
    the billing contacts once it was sent (stored), else rendered now (``projects.billing.invoice_pdf``). Each
    download is in the audit log, as a report's is."""
    invoice = _invoice_or_404(request, pk)
    response = HttpResponse(invoice_pdf_document(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_pdf_name(invoice)}"'
    audit_record(
        kind=AuditKind.INVOICE_DOWNLOADED,
        request=request,
        target=f"invoice:{invoice.pk}",
        detail={"via": "portal", "number": invoice.number or ""},
    )
    return response


def _status_context(project: Project, *, user: User | None) -> dict[str, Any]:
    """The context of a status page: the client view of ``project`` and what ``user`` may do (booleans).

    ``user`` None is a visitor through a share link, who may do nothing.
    """
    status = selectors.portal_status(project=project, user=user)
    # The comments visible to the client under each item, for those signed in (a share link shows none).
    threads = (
        portal_threads(
            project=project,
            user=user,
            deliverables=[d["id"] for d in status["deliverables"]],
            change_requests=[c["id"] for c in status["change_requests"]],
        )
        if user is not None
        else {"deliverable": {}, "change_request": {}}
    )
    return {
        "project": status["project"],
        "status": status,
        "deliverable_rows": [(d, threads["deliverable"].get(d["id"], [])) for d in status["deliverables"]],
        "change_rows": [(c, threads["change_request"].get(c["id"], [])) for c in status["change_requests"]],
        "shared": user is None,
        "can_decide": user is not None and access.decide_for_client.allows(user, project),
        "can_manage": user is not None and access.manage_share_links.allows(user, project),
        "can_comment": user is not None and may_comment_on_portal(user, project),
    }


@login_required
def portal_project(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """A project's status page: RAG and trend, progress, milestones, decisions awaited, highlights, reports."""
    project = project_or_404(request, code)
    return render(request, "portal/project.html", _status_context(project, user=request.user))


def _decide(request: AuthenticatedHttpRequest, code: str, pk: int, *, what: str) -> HttpResponse:
    project = project_or_404(request, code)
    item: Deliverable | ChangeRequest
    if what == "deliverable":
        item = child_or_404(deliverables_awaiting_sign_off(project=project), project=project, pk=pk)
    else:
        item = child_or_404(change_requests_awaiting_client(project=project), project=project, pk=pk)
    if not access.decide_for_client.allows(request.user, project):
        # The page is open to the team as a preview; only the decision is the client's.
        raise PermissionDenied("Only the client decides here.")
    form = DecisionForm(request.POST)
    back = redirect("portal:project", code=project.code)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing was recorded: {errors}")
        return back
    comment = form.cleaned_data["comment"].strip()
    if isinstance(item, Deliverable) and form.positive and not form.confirmed:
        # Accepting is final and stamped: ask first; only the confirmed POST records it.
        context = selectors.portal_sign_off(project=project, deliverable=item) | {"comment": comment}
        return render(request, "portal/confirm_sign_off.html", context)
    with refusal_shown(request, failed="Nothing was recorded:"):
        if isinstance(item, Deliverable):
            deliverable_sign_off(deliverable=item, user=request.user, accepted=form.positive, comment=comment)
        else:
            change_request_decide(change_request=item, user=request.user, approve=form.positive, comment=comment)
        audit_record(
            kind=AuditKind.CLIENT_DECISION,
            request=request,
            target=f"{what}:{item.pk}",
            detail={"project": project.code, "decision": form.cleaned_data["decision"]},
        )
        messages.success(request, f"Thank you: your decision on “{item}” is recorded.")
    return back


@require_POST
@login_required
def deliverable_sign_off_view(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A client contact accepts (in two steps: a confirmation first) or rejects a deliverable awaiting sign-off."""
    return _decide(request, code, pk, what="deliverable")


@require_POST
@login_required
def change_request_decide_view(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A client contact approves or rejects a change request awaiting their decision."""
    return _decide(request, code, pk, what="change_request")


def _pdf_response(request: HttpRequest, report: ArchivedReport, *, project: Project, via: str) -> FileResponse:
    """The PDF of ``report`` (a ``reports.Report`` of ``project``) as an attachment, its download logged."""
    try:
        handle = report.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The PDF file is missing.") from exc
    audit_record(
        kind=AuditKind.REPORT_DOWNLOADED,
        request=request,
        target=f"report:{report.pk}",
        detail={"via": via, "project": project.code},
    )
    return FileResponse(handle, as_attachment=True, filename=f"{project.code}-{report.period_end}.pdf")


@login_required
def portal_report_pdf(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """Download a client-audience report PDF of a project the user sees (logged)."""
    project = project_or_404(request, code)
    report = child_or_404(selectors.client_reports(user=request.user, project=project), project=project, pk=pk)
    return _pdf_response(request, report, project=project, via="portal")


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
    context = _status_context(link.project, user=None) | {"token": token}
    response = render(request, "portal/project.html", context)
    # The token is in the address: never send it on in a Referer, never index the page.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def shared_report_pdf(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """A client report PDF of the shared project, through a live share link (logged)."""
    link = selectors.live_share_link(token=token)
    if link is None:
        return _dead_link(request)
    report = child_or_404(selectors.client_reports(user=None, project=link.project), project=link.project, pk=pk)
    response = _pdf_response(request, report, project=link.project, via=f"share_link:{link.pk}")
    response["Referrer-Policy"] = "no-referrer"
    return response


def _access_page(
    request: AuthenticatedHttpRequest, project: Project, form: ShareLinkForm, new_link: str = ""
) -> HttpResponse:
    """The PM's client access page (internal: it lists contacts and links as they are)."""
    contacts = access.invite_contact.queryset(request.user).filter(client=project.client_id).select_related("user")
    links = access.see_share_link.queryset(request.user).filter(project=project).select_related("created_by")
    return render(
        request,
        "portal/access.html",
        {
            "project": project,
            "form": form,
            "new_link": new_link,
            "contacts": contacts if project.client_id else [],
            "may_add_contact": bool(project.client_id) and access.invite_contacts.allows(request.user, project),
            "contact_form": ContactForm(),
            "links": links,
            "now": timezone.now(),
        },
    )


@login_required
def project_access(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Client access to a project (PMs, heads, admins): invite contacts; make and revoke share links.

    A new link is shown once on the page that answers the POST (only its hash is stored).
    """
    project = project_or_404(request, code, access.manage_share_links)
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request):
            made = share_link_create(
                project=project, user=request.user, days=form.cleaned_data["days"], label=form.cleaned_data["label"]
            )
            url = request.build_absolute_uri(reverse("portal:shared", args=[made.token]))
            return _access_page(request, project, ShareLinkForm(), new_link=url)
    return _access_page(request, project, form)


@require_POST
@login_required
def share_link_revoke_view(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Revoke a share link at once."""
    project = project_or_404(request, code, access.manage_share_links)
    link = access.object_or_404(request.user, access.see_share_link, project=project, pk=pk)
    if share_link_revoke(link=link, user=request.user):
        messages.success(request, "The link is revoked: it no longer opens the status page.")
    return redirect("portal:access", code=project.code)


@require_POST
@login_required
def contact_invite_view(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Email a client contact a one-time link to set their password (through the outbox)."""
    project = project_or_404(request, code, access.invite_contacts)
    contact = access.object_or_404(
        request.user, access.invite_contact, client=project.client_id, client__isnull=False, pk=pk
    )
    with refusal_shown(request):
        client_contact_invite(contact=contact, invited_by=request.user)
        messages.success(request, f"Invitation sent to {contact.email}.")
    return redirect("portal:access", code=project.code)


@require_POST
@login_required
def contact_add_view(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Add a contact (name, email) to the project's client, and invite them to the portal when asked."""
    project = project_or_404(request, code, access.invite_contacts)
    form = ContactForm(request.POST)
    if form_valid_or_shown(request, form, failed="Contact not added."):
        with refusal_shown(request, failed="Contact not added."):
            contact, invitation = client_contact_add(
                project=project,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                invite=form.cleaned_data["invite"],
                invited_by=request.user,
            )
            sent = f"; invitation sent to {contact.email}" if invitation else ""
            messages.success(request, f"{contact.name} added to {project.client}'s contacts{sent}.")
    return redirect("portal:access", code=project.code)
