"""The Import page: upload a portfolio file, map its columns, check every row, then confirm (``imports``).

Administrators and department heads (``access.import_data``); a job is seen only by its owner
(``access.run_import``; anyone else gets a 404). The work is ``projects.importers.jobs``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import refusal_on_form, refusal_shown
from apm.http import AuthenticatedHttpRequest, HtmxRequest
from projects.importers import jobs
from projects.importers.forms import MappingForm, UploadForm
from projects.importers.mapping import BUILT_IN, MappingError, guess
from projects.importers.presets import preset_get, preset_mapping
from projects.models import ImportJob, ImportJobStatus, ImportMapping, ImportPhase


def _require_import(request: AuthenticatedHttpRequest) -> None:
    if not access.import_data.allows(request.user):
        raise PermissionDenied("Only administrators and department heads may import files.")


def _job(request: AuthenticatedHttpRequest, pk: int) -> ImportJob:
    _require_import(request)
    return get_object_or_404(access.run_import.queryset(request.user), pk=pk)


@login_required
def import_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a file (and optionally a mapping file); the user's recent imports; the presets."""
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form, upload_field="file"):
            job = jobs.job_upload(user=request.user, upload=form.cleaned_data["file"])
            mapping = form.cleaned_data.get("mapping_file")
            if mapping is not None:
                job.mapping = mapping.to_dict()
                job.save(update_fields=["mapping"])
            return redirect("imports:map", pk=job.pk)
    context = {
        "form": form,
        "jobs": access.run_import.queryset(request.user).order_by("-created_at", "-pk")[:20],
        "built_in": list(BUILT_IN.items()),
        "presets": ImportMapping.objects.all(),
    }
    return render(request, "projects/importers/index.html", context)


@login_required
def import_map(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The file's first rows and a select per column; a preset can fill them (``?preset=NAME``)."""
    job = _job(request, pk)
    preview = jobs.job_preview(job)
    base = None
    chosen = request.GET.get("preset", "").strip()
    if chosen:
        try:
            base = preset_get(chosen)
        except MappingError as exc:
            messages.error(request, f"The preset {chosen!r} cannot be used: {exc}.")
        if base is None:
            messages.error(request, f"There is no preset called {chosen!r}.")
    if base is None and job.mapping:
        try:
            base = jobs.job_mapping(job)
        except MappingError:
            base = None
    start = base or guess(preview.header, name=job.original_name.rsplit(".", 1)[0][:100])
    form = MappingForm(
        request.POST or None, header=preview.header, initial=MappingForm.initial_from(start, preview.header)
    )
    if request.method == "POST" and not preview.error and form.is_valid():
        keep = base if base is not None and base.name.casefold() in BUILT_IN else None
        with refusal_on_form(form):
            jobs.job_check(
                job=job,
                user=request.user,
                mapping=form.mapping(base=keep),
                save_preset=form.cleaned_data["save_preset"],
            )
            if form.cleaned_data["save_preset"]:
                messages.success(request, f"Mapping saved as the preset “{form.cleaned_data['name']}”.")
            return redirect("imports:job", pk=job.pk)
    context = {
        "job": job,
        "preview": preview,
        "form": form,
        "presets": [m.name for m in BUILT_IN.values()] + list(ImportMapping.objects.values_list("name", flat=True)),
        "running": job.status in (ImportJobStatus.QUEUED, ImportJobStatus.WORKING),
        "imported": job.phase == ImportPhase.IMPORT and job.status == ImportJobStatus.FINISHED,
    }
    return render(request, "projects/importers/map.html", context)


@login_required
def import_job(request: HtmxRequest, pk: int) -> HttpResponse:
    """Where the job stands: a progress bar while a worker runs it (htmx polls the panel), then the summary and
    every refused row; after a check, the button that confirms the import."""
    job = _job(request, pk)
    done, total = jobs.job_progress(job)
    running = job.status in (ImportJobStatus.QUEUED, ImportJobStatus.WORKING)
    context = {
        "job": job,
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else 0,
        "running": running,
        "checked": job.phase == ImportPhase.CHECK and job.status == ImportJobStatus.FINISHED,
        "imported": job.phase == ImportPhase.IMPORT and job.status == ImportJobStatus.FINISHED,
        "result": job.result,
    }
    if request.htmx:
        response = render(request, "projects/importers/_progress.html", context)
        if not running:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "projects/importers/job.html", context)


@login_required
@require_POST
def import_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Import for real what the check read (the same file and mapping)."""
    job = _job(request, pk)
    with refusal_shown(request, failed="Nothing was imported:"):
        jobs.job_confirm(job=job, user=request.user)
    return redirect("imports:job", pk=job.pk)


@login_required
def import_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The file as it was uploaded, as an attachment (its owner, and administrators)."""
    job = _job(request, pk)
    try:
        handle = job.file.open("rb")
    except OSError as exc:
        raise Http404("The uploaded file is no longer stored.") from exc
    return FileResponse(handle, as_attachment=True, filename=job.original_name)


@login_required
def preset_download(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """A preset as a mapping JSON file: ``gmpp`` (built in) or a saved preset's id."""
    _require_import(request)
    if key in BUILT_IN:
        mapping = BUILT_IN[key]
    elif key.isdigit() and len(key) < 19:
        try:
            mapping = preset_mapping(get_object_or_404(ImportMapping, pk=int(key)))
        except MappingError as exc:
            raise Http404("This preset is damaged; an administrator can delete it.") from exc
    else:
        raise Http404("No such preset.")
    response = HttpResponse(mapping.to_json(), content_type="application/json; charset=utf-8")
    filename = "".join(c if c.isalnum() or c in "-_" else "-" for c in mapping.name.lower()).strip("-") or "mapping"
    response["Content-Disposition"] = f'attachment; filename="{filename}.mapping.json"'
    return response
