"""Pages of the document register, the contract's clauses and proposals, and compliance.

Thin: reads through ``projects.documents.selectors``, writes through the
services. Internal pages: a client contact, or anyone who may not see the
project, gets 404. The one exception is :func:`document_download`, which a
client contact may use for a document shared with the client (the portal
links to it); an internal document answers 404 to them like anything else
they may not see. Files are always sent as attachments.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_on_form, refusal_shown
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.common import workflow
from projects.common.history import history_rows
from projects.common.lookups import child_or_404, project_or_404
from projects.common.pages import documents_form_page
from projects.conversation.selectors import comment_thread
from projects.documents import forms, recurring, selectors, services
from projects.models import (
    Clause,
    ClauseChangeProposal,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    Project,
)
from projects.planning.forms import repeats_initial
from projects.planning.recurrence import describe

COMPLIANCE_PAGE_SIZE = 50  # projects with something outstanding, a page of the department view


# --- Register -----------------------------------------------------------------------------


def _register_filters(request: AuthenticatedHttpRequest) -> tuple[str, str]:
    """The register's kind and status filters from the query string ("" for any; an unknown value is ignored)."""
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    return (kind if kind in DocumentKind.values else "", status if status in DocumentStatus.values else "")


#: The columns of the register's export, as the register shows them.
DOCUMENT_COLUMNS = ("Title", "Kind", "Status", "Version", "Owner", "Signed", "Expires", "Seen by")


@login_required
def document_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """The document register as CSV or XLSX, with the register's kind and status filters."""
    export_format(fmt)
    project = project_or_404(request, code, access.see_internal_documents)
    kind, status = _register_filters(request)
    documents = selectors.document_list(user=request.user, project=project, kind=kind, status=status)
    rows = (
        (
            d.title,
            d.get_kind_display(),
            d.get_status_display(),
            ", ".join(f"v{v.number}" for v in d.current_versions),
            (d.owner.get_full_name() or str(d.owner)) if d.owner else "",
            d.signed_on,
            d.expires_on,
            "Client" if d.is_shared else "Internal",
        )
        for d in documents
    )
    return table_response(
        rows=rows,
        columns=DOCUMENT_COLUMNS,
        filename=export_filename("documents", project.code, fmt),
        fmt=fmt,
        sheet="Documents",
    )


@login_required
def document_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's document register, by kind and status; a fixed number of queries."""
    project = project_or_404(request, code, access.see_internal_documents)
    kind, status = _register_filters(request)
    documents = selectors.document_list(user=request.user, project=project, kind=kind, status=status)
    return render(
        request,
        "projects/documents/list.html",
        {
            "project": project,
            "documents": documents,
            "kinds": DocumentKind.choices,
            "statuses": DocumentStatus.choices,
            "kind": kind,
            "status": status,
            "may_manage": access.edit_project.allows(request.user, project),
            "today": timezone.localdate(),
            "soon": timezone.localdate() + dt.timedelta(days=selectors.EXPIRY_NOTICE_DAYS),
        },
    )


@login_required
def document_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    form = forms.DocumentForm(request.POST or None, request.FILES or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_on_form(form, upload_field="file"):
            document = services.document_create(
                project=project,
                user=request.user,
                kind=data["kind"],
                title=data["title"],
                upload=data["file"],
                visibility=data["visibility"],
                owner=data["owner"],
                signed_on=data["signed_on"],
                effective_on=data["effective_on"],
                expires_on=data["expires_on"],
                note=data["note"],
            )
            messages.success(request, f"“{document.title}” registered as version 1.")
            return redirect("projects:document", code=project.code, pk=document.pk)
    return documents_form_page(request, project, form, title="Register a document", here="New document")


def _document_or_404(request: AuthenticatedHttpRequest, project: Project, pk: int) -> Document:
    documents = access.see_document.queryset(request.user).select_related("owner", "project")
    return child_or_404(documents, project=project, pk=pk)


@login_required
def document_detail(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A document: facts, versions (newest first), status moves, clauses and correspondence, history."""
    project = project_or_404(request, code, access.see_internal_documents)
    document = _document_or_404(request, project, pk)
    return render(
        request,
        "projects/documents/detail.html",
        {
            "project": project,
            "document": document,
            "versions": list(document.versions.select_related("uploaded_by")),
            "moves": workflow.DOCUMENT.moves(document.status),
            "clauses": list(document.clauses.all()),
            "correspondence": list(document.correspondence.all()),
            "history": history_rows(document),
            "thread": comment_thread(anchor=document, user=request.user),
            "may_manage": access.edit_project.allows(request.user, project),
            "version_form": forms.VersionForm(),
            "details_form": forms.DocumentDetailsForm(
                project=project, initial=model_to_dict(document, fields=list(forms.DocumentDetailsForm.base_fields))
            ),
        },
    )


@login_required
@require_POST
def document_edit(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    document = _document_or_404(request, project, pk)
    form = forms.DocumentDetailsForm(request.POST, project=project)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.document_update(document=document, user=request.user, **form.cleaned_data)
            messages.success(request, "Details saved.")
    return redirect("projects:document", code=project.code, pk=document.pk)


@login_required
@require_POST
def document_status(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    document = _document_or_404(request, project, pk)
    form = forms.StatusForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.document_set_status(document=document, user=request.user, status=form.cleaned_data["status"])
            messages.success(request, f"“{document.title}” is now {document.get_status_display().lower()}.")
    return redirect("projects:document", code=project.code, pk=document.pk)


@login_required
@require_POST
def document_version_add(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    document = _document_or_404(request, project, pk)
    form = forms.VersionForm(request.POST, request.FILES)
    if form_valid_or_shown(request, form, failed="Nothing was stored."):
        with refusal_shown(request):
            version = services.document_add_version(
                document=document, user=request.user, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
            )
            messages.success(request, f"Version {version.number} uploaded; it is now the current one.")
    return redirect("projects:document", code=project.code, pk=document.pk)


def _send(version: DocumentVersion) -> FileResponse:
    if not version.file:
        raise Http404("No file.")
    try:
        handle = version.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=version.original_name or (version.file.name or "").rsplit("/", 1)[-1],
        content_type=version.content_type or "application/octet-stream",
    )


@login_required
def document_download(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """The current version of a document, as an attachment, to anyone who may see the document.

    A client contact may see only documents shared with their client, neither
    drafts nor superseded (``access.see_document``): anything else is a 404.
    """
    project = project_or_404(request, code)
    document = _document_or_404(request, project, pk)
    version = document.versions.filter(is_current=True).first()
    if version is None:
        raise Http404("No file.")
    return _send(version)


@login_required
def version_download(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """Any version of a document, as an attachment; internal users who may see the project only."""
    project = project_or_404(request, code, access.see_internal_documents)
    versions = DocumentVersion.objects.select_related("document").filter(
        document__in=access.see_document.queryset(request.user)
    )
    version = child_or_404(versions, project=project, field="document__project", pk=pk)
    return _send(version)


# --- Clauses and proposals -------------------------------------------------------------------


@login_required
def clause_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The contract broken into clauses, with pending proposals."""
    project = project_or_404(request, code, access.see_internal_documents)
    return render(
        request,
        "projects/documents/clauses.html",
        {
            "project": project,
            "clauses": selectors.clause_list(project=project),
            "may_manage": access.edit_project.allows(request.user, project),
        },
    )


@login_required
def clause_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    form = forms.NewClauseForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            clause = services.clause_create(project=project, user=request.user, **form.cleaned_data)
            messages.success(request, f"Clause {clause.number} added.")
            return redirect("projects:clause", code=project.code, pk=clause.pk)
    return documents_form_page(request, project, form, title="Add a clause", here="New clause", tab="clauses")


def _clause_or_404(project: Project, pk: int) -> Clause:
    return child_or_404(
        Clause.objects.select_related("contract", "evidence_deliverable", "project"), project=project, pk=pk
    )


@login_required
def clause_detail(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A clause: current wording and version, evidence and deadline, proposals and their decisions, history."""
    project = project_or_404(request, code, access.see_internal_documents)
    clause = _clause_or_404(project, pk)
    proposals = list(clause.proposals.select_related("proposed_by", "decided_by"))
    pending = next((p for p in proposals if p.status == "pending"), None)
    rows = selectors.obligation_rows(projects=Project.objects.filter(pk=project.pk), today=timezone.localdate())
    row = next((r for r in rows if r.clause.pk == clause.pk), None)
    periods = list(clause.occurrences.select_related("recorded_by")[:24])  # newest first
    return render(
        request,
        "projects/documents/clause_detail.html",
        {
            "project": project,
            "clause": clause,
            "row": row,
            "proposals": proposals,
            "pending": pending,
            "history": history_rows(clause),
            "may_manage": access.edit_project.allows(request.user, project),
            "may_decide": access.decide_as_head.allows(request.user, project)
            and (pending is None or pending.proposed_by_id != request.user.pk),
            "proposal_form": forms.ProposalForm(initial={"text": clause.text}),
            "evidence_form": forms.EvidenceForm(
                project=project,
                initial={
                    **model_to_dict(clause, fields=list(forms.EvidenceForm.base_fields)),
                    **repeats_initial(clause.recurrence),
                },
            ),
            "repeats": describe(clause.recurrence),
            "periods": periods,
            "period_begun": not periods or periods[0].due_date <= timezone.localdate(),
        },
    )


@login_required
@require_POST
def clause_period_met(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A repeating obligation's current period marked met: kept as met, the deadline rolls on."""
    project = project_or_404(request, code, access.edit_project)
    clause = _clause_or_404(project, pk)
    form = forms.PeriodMetForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            recurring.obligation_period_met(clause=clause, user=request.user, due_date=form.cleaned_data["due_date"])
            messages.success(request, f"Period marked met; the next deadline is {clause.deadline:%d %b %Y}.")
    return redirect("projects:clause", code=project.code, pk=clause.pk)


@login_required
@require_POST
def clause_evidence(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    clause = _clause_or_404(project, pk)
    form = forms.EvidenceForm(request.POST, project=project)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.clause_set_evidence(clause=clause, user=request.user, **form.cleaned_data)
            messages.success(request, "Evidence and deadline saved.")
    return redirect("projects:clause", code=project.code, pk=clause.pk)


@login_required
@require_POST
def clause_propose(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    clause = _clause_or_404(project, pk)
    form = forms.ProposalForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.clause_proposal_create(clause=clause, user=request.user, **form.cleaned_data)
            messages.success(request, "Proposal sent to management for a decision.")
    return redirect("projects:clause", code=project.code, pk=clause.pk)


@login_required
@require_POST
def proposal_decide(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Management approves or rejects a proposal; the proposer or a manager may withdraw it."""
    project = project_or_404(request, code, access.see_internal_documents)
    proposal = child_or_404(
        ClauseChangeProposal.objects.select_related("clause__project"), project=project, field="clause__project", pk=pk
    )
    form = forms.DecisionForm(request.POST)
    back = redirect("projects:clause", code=project.code, pk=proposal.clause_id)
    if not form_valid_or_shown(request, form):
        return back
    decision = form.cleaned_data["decision"]
    if decision != "withdraw" and not access.decide_as_head.allows(request.user, project):
        raise PermissionDenied("Only a department head of the project or an administrator decides clause proposals.")
    with refusal_shown(request, failed="Nothing changed."):
        if decision == "withdraw":
            services.clause_proposal_withdraw(proposal=proposal, user=request.user)
        else:
            services.clause_proposal_decide(
                proposal=proposal,
                user=request.user,
                approve=decision == "approve",
                comment=form.cleaned_data["comment"],
            )
        words = {"approve": "approved: the clause has a new version", "reject": "rejected", "withdraw": "withdrawn"}
        messages.success(request, f"Proposal {words[decision]}.")
    return back


# --- Compliance ----------------------------------------------------------------------------


@login_required
def compliance(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Each obligation of the project as met, due, overdue or missing evidence."""
    project = project_or_404(request, code, access.see_internal_documents)
    rows = selectors.obligation_rows(projects=Project.objects.filter(pk=project.pk), today=timezone.localdate())
    return render(
        request,
        "projects/documents/compliance.html",
        {"project": project, "rows": rows, "counts": selectors.compliance_counts(rows)},
    )


@login_required
def department_compliance(request: AuthenticatedHttpRequest, dept: str) -> HttpResponse:
    """A department's obligations across its projects, and per project what is overdue or missing.

    The counts cover every obligation; the table lists only the projects
    needing action (something wrong, or an obligation due), 50 a page
    (``?page=``), with the obligations needing action of those projects
    below it. A department of a thousand projects with nothing to do is one
    line, not a thousand rows.

    For heads of the department and administrators (``access.see_department``); others 404.
    """
    department = access.object_or_404(request.user, access.see_department, code=dept)
    projects = department.projects.all()
    today = timezone.localdate()
    rows = selectors.obligation_rows(projects=projects, today=today)
    lines = selectors.portfolio_compliance(projects=projects, today=today, rows=rows)
    outstanding = [line for line in lines if line.needs_action]
    page = Paginator(outstanding, COMPLIANCE_PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = {line.project.pk for line in page.object_list}
    project_count = projects.count()
    return render(
        request,
        "projects/documents/department_compliance.html",
        {
            "department": department,
            "rows": [r for r in rows if r.state != selectors.MET and r.clause.project_id in on_page],
            "counts": selectors.compliance_counts(rows),
            "lines": page.object_list,
            "page": page,
            "project_count": project_count,
            "clean_count": project_count - len(outstanding),
        },
    )
