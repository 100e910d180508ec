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
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm.access import CLIENT, audience_for, visible_departments, visible_projects
from apm.forms import form_errors
from projects.delivery.history import history_rows
from projects.delivery.permissions import may_manage
from projects.delivery.views import project_or_404
from projects.documents import forms, selectors, services
from projects.documents.uploads import UploadRefused
from projects.documents.workflow import DOCUMENT_TRANSITIONS
from projects.models import (
    Clause,
    ClauseChangeProposal,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    Project,
)

REFUSALS = (ValueError, PermissionDenied, UploadRefused)
COMPLIANCE_PAGE_SIZE = 50  # projects with something outstanding, a page of the department view


def refused(request: HttpRequest, exc: Exception) -> None:
    """Show the service's refusal; nothing changed."""
    messages.error(request, f"Nothing changed. {exc}" if str(exc) else "You may not do that.")


def _manage_or_404(request: HttpRequest, project) -> None:
    if not may_manage(user=request.user, project=project):
        raise Http404("No such page.")


# --- Register -----------------------------------------------------------------------------


@login_required
def document_list(request: HttpRequest, code: str) -> HttpResponse:
    """The project's document register, by kind and status; a fixed number of queries."""
    project = project_or_404(request, code)
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    kind = kind if kind in DocumentKind.values else ""
    status = status if status in DocumentStatus.values else ""
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
            "may_manage": may_manage(user=request.user, project=project),
            "today": timezone.localdate(),
            "soon": timezone.localdate() + dt.timedelta(days=selectors.EXPIRY_NOTICE_DAYS),
        },
    )


@login_required
def document_create(request: HttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code)
    _manage_or_404(request, project)
    form = forms.DocumentForm(request.POST or None, request.FILES or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
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
        except REFUSALS as exc:
            form.add_error("file" if isinstance(exc, UploadRefused) else None, str(exc))
        else:
            messages.success(request, f"“{document.title}” registered as version 1.")
            return redirect("projects:document", code=project.code, pk=document.pk)
    return render(
        request,
        "projects/documents/form.html",
        {"project": project, "form": form, "title": "Register a document", "here": "New document"},
        status=400 if request.method == "POST" else 200,
    )


def _document_or_404(request: HttpRequest, project, pk: int) -> Document:
    return get_object_or_404(
        selectors.visible_documents(request.user).select_related("owner", "project"), pk=pk, project=project
    )


@login_required
def document_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A document: facts, versions (newest first), status moves, clauses and correspondence, history."""
    project = project_or_404(request, code)
    document = _document_or_404(request, project, pk)
    return render(
        request,
        "projects/documents/detail.html",
        {
            "project": project,
            "document": document,
            "versions": list(document.versions.select_related("uploaded_by")),
            "moves": [(s, DocumentStatus(s).label) for s in sorted(DOCUMENT_TRANSITIONS[document.status])],
            "clauses": list(document.clauses.all()),
            "correspondence": list(document.correspondence.all()),
            "history": history_rows(document),
            "may_manage": may_manage(user=request.user, project=project),
            "version_form": forms.VersionForm(),
            "details_form": forms.DocumentDetailsForm(
                project=project,
                initial={
                    "title": document.title,
                    "visibility": document.visibility,
                    "owner": document.owner_id,
                    "signed_on": document.signed_on,
                    "effective_on": document.effective_on,
                    "expires_on": document.expires_on,
                },
            ),
        },
    )


@login_required
@require_POST
def document_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code)
    document = _document_or_404(request, project, pk)
    _manage_or_404(request, project)
    form = forms.DocumentDetailsForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
    else:
        try:
            services.document_update(document=document, user=request.user, **form.cleaned_data)
        except REFUSALS as exc:
            refused(request, exc)
        else:
            messages.success(request, "Details saved.")
    return redirect("projects:document", code=project.code, pk=document.pk)


@login_required
@require_POST
def document_status(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code)
    document = _document_or_404(request, project, pk)
    _manage_or_404(request, project)
    form = forms.StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
    else:
        try:
            services.document_set_status(document=document, user=request.user, status=form.cleaned_data["status"])
        except REFUSALS as exc:
            refused(request, exc)
        else:
            messages.success(request, f"“{document.title}” is now {document.get_status_display().lower()}.")
    return redirect("projects:document", code=project.code, pk=document.pk)


@login_required
@require_POST
def document_version_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code)
    document = _document_or_404(request, project, pk)
    _manage_or_404(request, project)
    form = forms.VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"Nothing was stored. {form_errors(form)}")
    else:
        try:
            version = services.document_add_version(
                document=document, user=request.user, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
            )
        except REFUSALS as exc:
            messages.error(request, str(exc))
        else:
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
        filename=version.original_name or version.file.name.rsplit("/", 1)[-1],
        content_type=version.content_type or "application/octet-stream",
    )


@login_required
def document_download(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """The current version of a document, as an attachment, to anyone who may see the document.

    A client contact may see only documents shared with their client
    (``selectors.visible_documents``): anything else is a 404.
    """
    project = get_object_or_404(visible_projects(request.user), code=code)
    document = get_object_or_404(selectors.visible_documents(request.user), pk=pk, project=project)
    if audience_for(request.user) == CLIENT and document.status in (DocumentStatus.DRAFT, DocumentStatus.SUPERSEDED):
        raise Http404("No such document.")
    version = document.versions.filter(is_current=True).first()
    if version is None:
        raise Http404("No file.")
    return _send(version)


@login_required
def version_download(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """Any version of a document, as an attachment; internal users who may see the project only."""
    project = project_or_404(request, code)
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document"),
        pk=pk,
        document__in=selectors.visible_documents(request.user).filter(project=project),
    )
    return _send(version)


# --- Clauses and proposals -------------------------------------------------------------------


@login_required
def clause_list(request: HttpRequest, code: str) -> HttpResponse:
    """The contract broken into clauses, with pending proposals."""
    project = project_or_404(request, code)
    return render(
        request,
        "projects/documents/clauses.html",
        {
            "project": project,
            "clauses": selectors.clause_list(project=project),
            "may_manage": may_manage(user=request.user, project=project),
        },
    )


@login_required
def clause_create(request: HttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code)
    _manage_or_404(request, project)
    form = forms.NewClauseForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            clause = services.clause_create(project=project, user=request.user, **form.cleaned_data)
        except REFUSALS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Clause {clause.number} added.")
            return redirect("projects:clause", code=project.code, pk=clause.pk)
    return render(
        request,
        "projects/documents/form.html",
        {"project": project, "form": form, "title": "Add a clause", "here": "New clause", "tab": "clauses"},
        status=400 if request.method == "POST" else 200,
    )


def _clause_or_404(project, pk: int) -> Clause:
    return get_object_or_404(
        Clause.objects.select_related("contract", "evidence_deliverable", "project"), pk=pk, project=project
    )


@login_required
def clause_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A clause: current wording and version, evidence and deadline, proposals and their decisions, history."""
    project = project_or_404(request, code)
    clause = _clause_or_404(project, pk)
    proposals = list(clause.proposals.select_related("proposed_by", "decided_by"))
    pending = next((p for p in proposals if p.status == "pending"), None)
    rows = selectors.obligation_rows(projects=Project.objects.filter(pk=project.pk), today=timezone.localdate())
    row = next((r for r in rows if r.clause.pk == clause.pk), None)
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
            "may_manage": may_manage(user=request.user, project=project),
            "may_decide": services.may_decide_proposals(user=request.user, project=project)
            and (pending is None or pending.proposed_by_id != request.user.pk),
            "proposal_form": forms.ProposalForm(initial={"text": clause.text}),
            "evidence_form": forms.EvidenceForm(
                project=project,
                initial={
                    "evidence": clause.evidence,
                    "evidence_document_kind": clause.evidence_document_kind,
                    "evidence_deliverable": clause.evidence_deliverable_id,
                    "evidence_report_kind": clause.evidence_report_kind,
                    "deadline": clause.deadline,
                },
            ),
        },
    )


@login_required
@require_POST
def clause_evidence(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code)
    clause = _clause_or_404(project, pk)
    _manage_or_404(request, project)
    form = forms.EvidenceForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
    else:
        try:
            services.clause_set_evidence(clause=clause, user=request.user, **form.cleaned_data)
        except REFUSALS as exc:
            refused(request, exc)
        else:
            messages.success(request, "Evidence and deadline saved.")
    return redirect("projects:clause", code=project.code, pk=clause.pk)


@login_required
@require_POST
def clause_propose(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code)
    clause = _clause_or_404(project, pk)
    _manage_or_404(request, project)
    form = forms.ProposalForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
    else:
        try:
            services.clause_proposal_create(clause=clause, user=request.user, **form.cleaned_data)
        except REFUSALS as exc:
            refused(request, exc)
        else:
            messages.success(request, "Proposal sent to management for a decision.")
    return redirect("projects:clause", code=project.code, pk=clause.pk)


@login_required
@require_POST
def proposal_decide(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Management approves or rejects a proposal; the proposer or a manager may withdraw it."""
    project = project_or_404(request, code)
    proposal = get_object_or_404(
        ClauseChangeProposal.objects.select_related("clause__project"), pk=pk, clause__project=project
    )
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
        return redirect("projects:clause", code=project.code, pk=proposal.clause_id)
    decision = form.cleaned_data["decision"]
    try:
        if decision == "withdraw":
            services.clause_proposal_withdraw(proposal=proposal, user=request.user)
        else:
            services.clause_proposal_decide(
                proposal=proposal,
                user=request.user,
                approve=decision == "approve",
                comment=form.cleaned_data["comment"],
            )
    except PermissionDenied:
        raise
    except REFUSALS as exc:
        refused(request, exc)
    else:
        words = {"approve": "approved: the clause has a new version", "reject": "rejected", "withdraw": "withdrawn"}
        messages.success(request, f"Proposal {words[decision]}.")
    return redirect("projects:clause", code=project.code, pk=proposal.clause_id)


# --- Compliance ----------------------------------------------------------------------------


@login_required
def compliance(request: HttpRequest, code: str) -> HttpResponse:
    """Each obligation of the project as met, due, overdue or missing evidence."""
    project = project_or_404(request, code)
    rows = selectors.obligation_rows(
        projects=visible_projects(request.user).filter(pk=project.pk), today=timezone.localdate()
    )
    return render(
        request,
        "projects/documents/compliance.html",
        {"project": project, "rows": rows, "counts": selectors.compliance_counts(rows)},
    )


@login_required
def department_compliance(request: HttpRequest, dept: str) -> HttpResponse:
    """A department's obligations across its projects, and per project what is overdue or missing.

    The counts cover every obligation; the table lists only the projects
    needing action (something wrong, or an obligation due), 50 a page
    (``?page=``), with the obligations needing action of those projects
    below it. A department of a thousand projects with nothing to do is one
    line, not a thousand rows.

    For heads of the department and administrators (``visible_departments``); others 404.
    """
    department = get_object_or_404(visible_departments(request.user), code=dept)
    projects = department.projects.all()
    today = timezone.localdate()
    rows = selectors.obligation_rows(projects=projects, today=today)
    lines = selectors.portfolio_compliance(projects=projects, today=today, rows=rows)
    outstanding = [line for line in lines if line.needs_action]
    page = Paginator(outstanding, COMPLIANCE_PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = {line.project.pk for line in page.object_list}
    return render(
        request,
        "projects/documents/department_compliance.html",
        {
            "department": department,
            "rows": [r for r in rows if r.state != selectors.MET and r.clause.project_id in on_page],
            "counts": selectors.compliance_counts(rows),
            "lines": page.object_list,
            "page": page,
            "project_count": len(lines),
            "clean_count": len(lines) - len(outstanding),
        },
    )
