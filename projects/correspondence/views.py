"""Pages of the correspondence log and of letters written in the app. Internal only (clients 404).

Thin: reads through ``projects.correspondence.selectors``, writes through
``projects.correspondence.services`` and ``projects.correspondence.letters``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
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
from projects.correspondence import forms, letters, selectors, services
from projects.models import (
    Correspondence,
    CorrespondenceAttachment,
    Counterpart,
    LetterTemplate,
    Project,
)


def _log_filters(request: AuthenticatedHttpRequest) -> tuple[str, bool]:
    """The log's counterpart filter ("" for any; an unknown value is ignored) and whether only replies pending."""
    counterpart = request.GET.get("counterpart", "")
    return (counterpart if counterpart in Counterpart.values else "", request.GET.get("pending") == "1")


#: The columns of the log's export, as the log shows them.
CORRESPONDENCE_COLUMNS = (
    "Date",
    "Direction",
    "Channel",
    "Subject",
    "Files",
    "Organisation",
    "Person",
    "Counterpart",
    "Their reference",
    "Our reference",
    "Reply due",
    "Status",
)


@login_required
def correspondence_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """The correspondence log as CSV or XLSX, with the log's filters."""
    export_format(fmt)
    project = project_or_404(request, code, access.see_internal_documents)
    counterpart, pending = _log_filters(request)
    entries = selectors.correspondence_list(project=project, counterpart_kind=counterpart, pending_only=pending)
    rows = (
        (
            e.date,
            e.get_direction_display(),
            e.get_channel_display(),
            e.subject,
            len(e.attachments.all()),
            e.counterpart_organisation,
            e.counterpart_person,
            e.get_counterpart_kind_display(),
            e.their_reference,
            e.our_reference,
            e.reply_due_on,
            e.get_status_display(),
        )
        for e in entries
    )
    return table_response(
        rows=rows,
        columns=CORRESPONDENCE_COLUMNS,
        filename=export_filename("correspondence", project.code, fmt),
        fmt=fmt,
        sheet="Correspondence",
    )


@login_required
def correspondence_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's correspondence log, newest first; filter by counterpart or replies pending."""
    project = project_or_404(request, code, access.see_internal_documents)
    counterpart, pending = _log_filters(request)
    return render(
        request,
        "projects/correspondence/correspondence.html",
        {
            "project": project,
            "entries": selectors.correspondence_list(
                project=project, counterpart_kind=counterpart, pending_only=pending
            ),
            "counterparts": Counterpart.choices,
            "counterpart": counterpart,
            "pending": pending,
            "today": timezone.localdate(),
            "may_manage": access.edit_project.allows(request.user, project),
        },
    )


@login_required
def correspondence_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    form = forms.CorrespondenceForm(
        request.POST or None, request.FILES or None, project=project, initial={"date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("file")
        with refusal_on_form(form, upload_field="file"):
            entry = services.correspondence_log(
                project=project, user=request.user, uploads=[upload] if upload else [], **data
            )
            messages.success(request, f"Logged: {entry.subject}.")
            return redirect("projects:correspondence_entry", code=project.code, pk=entry.pk)
    return documents_form_page(
        request, project, form, title="Log correspondence", here="New entry", tab="correspondence"
    )


def _entry_or_404(project: Project, pk: int) -> Correspondence:
    return child_or_404(Correspondence.objects.select_related("project", "created_by"), project=project, pk=pk)


@login_required
def correspondence_detail(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal_documents)
    entry = _entry_or_404(project, pk)
    return render(
        request,
        "projects/correspondence/correspondence_detail.html",
        {
            "project": project,
            "entry": entry,
            "attachments": list(entry.attachments.all()),
            "documents": list(entry.documents.all()),
            "clauses": list(entry.clauses.all()),
            "moves": workflow.CORRESPONDENCE.moves(entry.status),
            "history": history_rows(entry),
            "thread": comment_thread(anchor=entry, user=request.user),
            "today": timezone.localdate(),
            "may_manage": access.edit_project.allows(request.user, project),
            "attachment_form": forms.AttachmentForm(),
        },
    )


@login_required
@require_POST
def correspondence_status(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    entry = _entry_or_404(project, pk)
    form = forms.CorrespondenceStatusForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.correspondence_set_status(entry=entry, user=request.user, status=form.cleaned_data["status"])
            messages.success(request, f"Now {entry.get_status_display().lower()}.")
    return redirect("projects:correspondence_entry", code=project.code, pk=entry.pk)


@login_required
@require_POST
def correspondence_attach(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    entry = _entry_or_404(project, pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form_valid_or_shown(request, form, failed="Nothing was stored."):
        with refusal_shown(request):
            services.correspondence_attach(entry=entry, user=request.user, upload=form.cleaned_data["file"])
            messages.success(request, "File attached.")
    return redirect("projects:correspondence_entry", code=project.code, pk=entry.pk)


@login_required
def attachment_download(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """A correspondence attachment (or generated letter), as an attachment; internal users of the project."""
    project = project_or_404(request, code, access.see_internal_documents)
    attachment = child_or_404(CorrespondenceAttachment, project=project, field="correspondence__project", pk=pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("The file is missing from storage.") from exc
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )


@login_required
def letter_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Write an outgoing letter: choose a template (GET ``?template=``) to fill the text, edit, create the PDF."""
    project = project_or_404(request, code, access.edit_project)
    initial: dict[str, object] = {"counterpart_kind": Counterpart.AUTHORITY}
    chosen = request.GET.get("template", "")
    if request.method == "GET" and chosen.isdigit():
        template = LetterTemplate.objects.filter(is_active=True, pk=int(chosen)).first()
        if template is not None:
            subject, body = letters.letter_fill(
                template=template,
                project=project,
                user=request.user,
                recipient_organisation=request.GET.get("recipient_organisation", ""),
                recipient_person=request.GET.get("recipient_person", ""),
                their_reference=request.GET.get("their_reference", ""),
            )
            initial.update(
                {k: request.GET.get(k, "") for k in ("recipient_organisation", "recipient_person", "their_reference")}
            )
            initial.update({"template": template.pk, "subject": subject, "body": body})
    form = forms.LetterForm(request.POST or None, project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        template = data.pop("template")
        if template is not None and not data["body"].strip():
            data["subject"], data["body"] = letters.letter_fill(
                template=template,
                project=project,
                user=request.user,
                recipient_organisation=data["recipient_organisation"],
                recipient_person=data["recipient_person"],
                their_reference=data["their_reference"],
            )
        with refusal_on_form(form):
            entry = letters.letter_create(project=project, user=request.user, **data)
            messages.success(request, f"Letter {entry.our_reference} written and logged; download the PDF below.")
            return redirect("projects:correspondence_entry", code=project.code, pk=entry.pk)
    return render(
        request,
        "projects/correspondence/letter_form.html",
        {"project": project, "form": form, "placeholders": letters.PLACEHOLDERS},
        status=400 if request.method == "POST" else 200,
    )
