"""Pages of deliverables (with the Gantt timeline), quality reviews, change requests and the RAID log.

Thin: reads through ``projects.delivery.selectors``, writes through the
services. Internal pages: a client contact or anyone who may not see the
project's internal pages gets 404 (``apm.access.see_internal``); the client's
sign-off and change approval are the portal's. Actions answer a refusal
(``apm.errors.Refused``) with the service's message and change nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.charts.gantt import gantt_svg
from apm.errors import Refused
from apm.forms import form_errors
from projects.common.lookups import child_or_404, project_or_404
from projects.delivery import forms, quality_services, raid_services, selectors, services
from projects.delivery.history import history_rows
from projects.delivery.quality_services import CheckInput
from projects.models import (
    ChangeRequest,
    CheckResult,
    Deliverable,
    DeliverableStatus,
    NonConformance,
    Project,
    QualityReview,
    RaidItem,
    RaidKind,
    ReviewCheck,
)


def _project(request: HttpRequest, code: str, capability: access.Capability = access.see_internal) -> Project:
    return project_or_404(request, code, capability)


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, exc.message)


def _common(request: HttpRequest, project: Project) -> dict:
    return {
        "project": project,
        "may_manage": access.edit_project.allows(request.user, project),
        "may_work": access.work_on_project.allows(request.user, project),
        "see_money": access.see_money.allows(request.user, project),
    }


# --- Deliverables -----------------------------------------------------------------------


@login_required
def deliverable_list(request: HttpRequest, code: str) -> HttpResponse:
    """The project's deliverables: Gantt (baseline and current dates) and a table; a fixed number of queries."""
    project = _project(request, code)
    items = list(selectors.deliverable_list(project=project))
    chart = gantt_svg(rows=selectors.gantt_rows(project=project), today=timezone.localdate())
    return render(
        request,
        "projects/delivery/deliverables.html",
        {**_common(request, project), "items": items, "chart": chart, "baseline_form": forms.BaselineForm()},
    )


@login_required
def deliverable_create(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code, access.edit_project)
    form = forms.DeliverableForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.deliverable_create(project=project, user=request.user, **data)
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"Deliverable {item.name} added.")
            return redirect("projects:deliverable", code=project.code, pk=item.pk)
    return render(
        request, "projects/delivery/form.html", {"project": project, "form": form, "title": "New deliverable"}
    )


def _deliverable_or_404(project: Project, pk: int) -> Deliverable:
    return child_or_404(Deliverable.objects.select_related("owner", "milestone", "project"), project=project, pk=pk)


@login_required
def deliverable_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = _project(request, code, access.edit_project)
    item = _deliverable_or_404(project, pk)
    form = forms.DeliverableForm(request.POST or None, project=project, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.deliverable_update(deliverable=item, user=request.user, **form.cleaned_data)
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, "Deliverable saved.")
            return redirect("projects:deliverable", code=project.code, pk=item.pk)
    return render(
        request, "projects/delivery/form.html", {"project": project, "form": form, "title": f"Edit {item.name}"}
    )


NEXT_LABELS = {
    DeliverableStatus.IN_PROGRESS: "Start work",
    DeliverableStatus.IN_REVIEW: "Send to quality review",
    DeliverableStatus.AWAITING_SIGN_OFF: "Send to client sign-off",
    DeliverableStatus.NOT_STARTED: "Back to not started",
}


@login_required
def deliverable_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A deliverable: facts, acceptance criteria, dependencies, reviews, non-conformances, sign-off, history."""
    project = _project(request, code)
    item = _deliverable_or_404(project, pk)
    from projects.delivery.workflow import DELIVERABLE_TRANSITIONS

    labels = dict(NEXT_LABELS)
    if item.status != DeliverableStatus.NOT_STARTED:
        labels[DeliverableStatus.IN_PROGRESS] = "Back to work"
    if item.status == DeliverableStatus.AWAITING_SIGN_OFF:
        labels[DeliverableStatus.IN_REVIEW] = "Withdraw from sign-off"
    moves = [
        (status, labels.get(status, f"Back to {DeliverableStatus(status).label.lower()}"))
        for status in sorted(DELIVERABLE_TRANSITIONS[item.status])
        if status not in (DeliverableStatus.ACCEPTED, DeliverableStatus.REJECTED)
    ]
    reviews = list(
        QualityReview.objects.filter(deliverable=item)
        .select_related("reviewer")
        .prefetch_related("checks__criterion__standard")
    )
    ncs = list(item.non_conformances.select_related("action_owner", "verified_by").order_by("-opened_at"))
    return render(
        request,
        "projects/delivery/deliverable_detail.html",
        {
            **_common(request, project),
            "item": item,
            "moves": moves,
            "depends_on": list(item.depends_on.all()),
            "dependents": list(item.dependents.all()),
            "reviews": reviews,
            "ncs": ncs,
            "open_ncs": [nc for nc in ncs if nc.status != "closed"],
            "overrides": list(item.overrides.select_related("by")),
            "history": history_rows(item),
            "nc_form": forms.NonConformanceForm(project=project),
            "is_admin": access.administer.allows(request.user),
        },
    )


@login_required
@require_POST
def deliverable_move(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = _project(request, code)
    item = _deliverable_or_404(project, pk)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
    else:
        try:
            services.deliverable_transition(deliverable=item, user=request.user, **form.cleaned_data)
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{item.name} is now {item.get_status_display().lower()}.")
    return redirect("projects:deliverable", code=project.code, pk=item.pk)


@login_required
@require_POST
def schedule_baseline(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code)
    form = forms.BaselineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the baseline is set.")
    else:
        try:
            baseline = services.schedule_baseline_set(
                project=project, user=request.user, reason=form.cleaned_data["reason"]
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"Baseline {baseline.number} set with every deliverable's dates.")
    return redirect("projects:deliverables", code=project.code)


# --- Quality ----------------------------------------------------------------------------


@login_required
def quality_page(request: HttpRequest, code: str) -> HttpResponse:
    """The standards that apply to the project (chosen here) and its open non-conformances."""
    project = _project(request, code)
    form = forms.StandardsForm(
        request.POST or None,
        project=project,
        initial={"standards": list(project.quality_standards.values_list("pk", flat=True))},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                quality_services.project_standards_set(
                    project=project, standards=form.cleaned_data["standards"], user=request.user
                )
            except Refused as exc:
                _refused(request, exc)
            else:
                messages.success(request, "Standards saved.")
                return redirect("projects:quality", code=project.code)
        else:
            messages.error(request, f"Nothing changed. {form_errors(form)}")
    applied = list(project.quality_standards.select_related("client").prefetch_related("criteria"))
    ncs = list(selectors.open_non_conformances(project=project))
    today = timezone.localdate()
    for nc in ncs:
        nc.age = selectors.age_days(nc.opened_at, today)
    return render(
        request,
        "projects/delivery/quality.html",
        {**_common(request, project), "form": form, "applied": applied, "ncs": ncs},
    )


@login_required
def review_create(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Record a review: a result, note and evidence for every criterion of every applicable standard."""
    project = _project(request, code, access.work_on_project)
    item = _deliverable_or_404(project, pk)
    criteria = quality_services.applicable_criteria(project=project)
    if request.method == "POST":
        checks = [
            CheckInput(
                criterion_id=c.pk,
                result=request.POST.get(f"result-{c.pk}", ""),
                note=request.POST.get(f"note-{c.pk}", ""),
                evidence_link=request.POST.get(f"link-{c.pk}", ""),
                evidence_file=request.FILES.get(f"file-{c.pk}"),
            )
            for c in criteria
            if request.POST.get(f"result-{c.pk}")
        ]
        try:
            review = quality_services.review_record(
                deliverable=item, reviewer=request.user, checks=checks, summary=request.POST.get("summary", "")
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"Review recorded: {review.get_outcome_display().lower()}.")
            return redirect("projects:deliverable", code=project.code, pk=item.pk)
    return render(
        request,
        "projects/delivery/review_form.html",
        {
            "project": project,
            "item": item,
            "criteria": criteria,
            "results": CheckResult.choices,
            "posted": request.POST,
        },
    )


@login_required
def evidence_download(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """A review's evidence file, to people who may see the project internally (private storage)."""
    project = _project(request, code)
    check = child_or_404(ReviewCheck, project=project, field="review__deliverable__project", pk=pk)
    if not check.evidence_file:
        raise Http404("No evidence file.")
    handle = check.evidence_file.open("rb")
    audit_record(kind=AuditKind.DOCUMENT_DOWNLOADED, request=request, target=f"evidence:{check.pk}")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=check.evidence_name or check.evidence_file.name.rsplit("/", 1)[-1],
        content_type=check.evidence_content_type or "application/octet-stream",
    )


@login_required
@require_POST
def non_conformance_action(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = _project(request, code)
    nc = child_or_404(
        NonConformance.objects.select_related("deliverable"), project=project, field="deliverable__project", pk=pk
    )
    form = forms.NonConformanceForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
        return redirect("projects:deliverable", code=project.code, pk=nc.deliverable_id)
    data, user = form.cleaned_data, request.user
    try:
        if data["action"] == "plan":
            quality_services.non_conformance_plan(
                non_conformance=nc,
                user=user,
                corrective_action=data["corrective_action"],
                owner=data["owner"],
                due=data["due"],
            )
        elif data["action"] == "done":
            quality_services.non_conformance_action_done(non_conformance=nc, user=user, note=data["note"])
        else:
            quality_services.non_conformance_verify(
                non_conformance=nc, user=user, passed=data["action"] == "verify", note=data["note"]
            )
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{nc.reference} updated.")
    return redirect("projects:deliverable", code=project.code, pk=nc.deliverable_id)


# --- Change requests --------------------------------------------------------------------


@login_required
def change_list(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code)
    return render(
        request,
        "projects/delivery/changes.html",
        {**_common(request, project), "changes": list(selectors.change_request_list(project=project))},
    )


@login_required
def change_create(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code, access.work_on_project)
    see_money = access.see_money.allows(request.user, project)
    form = forms.ChangeRequestForm(request.POST or None, project=project, see_money=see_money)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.change_request_create(project=project, user=request.user, **form.cleaned_data)
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{change.reference} saved as a draft.")
            return redirect("projects:change", code=project.code, number=change.number)
    return render(
        request, "projects/delivery/form.html", {"project": project, "form": form, "title": "New change request"}
    )


def _change_or_404(project: Project, number: int) -> ChangeRequest:
    return child_or_404(
        ChangeRequest.objects.select_related("author", "baseline", "project"), project=project, number=number
    )


@login_required
def change_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = _project(request, code)
    change = _change_or_404(project, number)
    side = services.approver_side(user=request.user, change_request=change)
    decided = set(change.approvals.values_list("side", flat=True))
    return render(
        request,
        "projects/delivery/change_detail.html",
        {
            **_common(request, project),
            "change": change,
            "approvals": list(change.approvals.select_related("user")),
            "affected": list(change.affected_deliverables.all()),
            "may_decide": change.status == "submitted" and side in change.required_sides and side not in decided,
            "side": side,
            "history": history_rows(change),
        },
    )


@login_required
@require_POST
def change_action(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = _project(request, code)
    change = _change_or_404(project, number)
    form = forms.ChangeActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
        return redirect("projects:change", code=project.code, number=number)
    action, comment, user = form.cleaned_data["action"], form.cleaned_data["comment"], request.user
    try:
        if action == "submit":
            services.change_request_submit(change_request=change, user=user)
        elif action == "withdraw":
            services.change_request_withdraw(change_request=change, user=user)
        elif action == "implement":
            services.change_request_implement(change_request=change, user=user)
        else:
            services.change_request_decide(
                change_request=change, user=user, approve=action == "approve", comment=comment
            )
    except Refused as exc:
        _refused(request, exc)
    else:
        change.refresh_from_db()
        messages.success(request, f"{change.reference} is {change.get_status_display().lower()}.")
    return redirect("projects:change", code=project.code, number=number)


# --- RAID log ---------------------------------------------------------------------------


@login_required
def raid_log(request: HttpRequest, code: str) -> HttpResponse:
    """The RAID log: critical issues first, the risk heat map, and every item by kind."""
    project = _project(request, code)
    kind = request.GET.get("kind", "")
    if kind not in RaidKind.values:
        kind = ""
    items = list(selectors.raid_log(project=project, kind=kind or None))
    grid = selectors.risk_heat_map(project=project)
    critical = [i for i in items if i.is_critical and i.status != "closed"] if not kind or kind == "issue" else []
    return render(
        request,
        "projects/delivery/raid.html",
        {
            **_common(request, project),
            "items": items,
            "kind": kind,
            "kinds": RaidKind.choices,
            "plurals": [
                ("risk", "Risks"),
                ("issue", "Issues"),
                ("assumption", "Assumptions"),
                ("dependency", "Dependencies"),
            ],
            "grid": [(5 - index, row) for index, row in enumerate(grid)],
            "critical": critical,
        },
    )


@login_required
def raid_create(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code, access.work_on_project)
    kind = request.GET.get("kind") or request.POST.get("kind") or RaidKind.RISK
    if kind not in RaidKind.values:
        raise Http404("No such kind.")
    form = forms.RaidItemForm(request.POST or None, project=project, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            item = raid_services.raid_item_create(
                project=project, kind=kind, user=request.user, **form.service_fields()
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            note = " The reporting heads were told at once." if item.is_critical else ""
            messages.success(request, f"{item.get_kind_display()} {item.reference} logged.{note}")
            return redirect("projects:raid_item", code=project.code, pk=item.pk)
    return render(
        request,
        "projects/delivery/form.html",
        {"project": project, "form": form, "title": f"New {RaidKind(kind).label.lower()}", "hidden": {"kind": kind}},
    )


@login_required
def raid_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = _project(request, code)
    item = child_or_404(
        RaidItem.objects.select_related("owner", "acknowledged_by", "raised_by"), project=project, pk=pk
    )
    form = forms.RaidItemForm(
        request.POST or None,
        project=project,
        kind=item.kind,
        initial={
            name: getattr(item, name)
            for name in (
                "title",
                "description",
                "owner",
                "due_date",
                "probability",
                "impact",
                "mitigation",
                "contingency_plan",
                "trigger",
                "severity",
                "affects_client",
                "client_message",
            )
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            raid_services.raid_item_update(item=item, user=request.user, **form.service_fields())
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{item.reference} saved.")
            return redirect("projects:raid_item", code=project.code, pk=item.pk)
    from projects.delivery.workflow import RAID_TRANSITIONS

    return render(
        request,
        "projects/delivery/raid_detail.html",
        {
            **_common(request, project),
            "item": item,
            "form": form,
            "moves": sorted(RAID_TRANSITIONS[item.status]),
            "may_ack": item.is_critical
            and item.acknowledged_at is None
            and access.decide_as_head.allows(request.user, project),
            "history": history_rows(item),
            "categories": forms.CostCategory.choices,
        },
    )


@login_required
@require_POST
def raid_action(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Move, acknowledge, tell the client, and the one-click actions of a critical issue."""
    project = _project(request, code)
    item = child_or_404(RaidItem, project=project, pk=pk)
    form = forms.RaidActionForm(request.POST)
    if request.POST.get("next") == "log":
        back = redirect("projects:raid", code=project.code)
    else:
        back = redirect("projects:raid_item", code=project.code, pk=item.pk)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {form_errors(form)}")
        return back
    data, user = form.cleaned_data, request.user
    try:
        if data["action"] == "move":
            raid_services.raid_item_transition(item=item, to=data["to"], user=user)
            messages.success(request, f"{item.reference} is {item.get_status_display().lower()}.")
        elif data["action"] == "acknowledge":
            raid_services.raid_issue_acknowledge(item=item, user=user)
            messages.success(request, f"{item.reference} acknowledged.")
        elif data["action"] == "tell_client":
            count = raid_services.raid_issue_tell_client(item=item, user=user, message=data["message"] or None)
            messages.success(request, f"The client was told ({count} contact{'s' if count != 1 else ''}).")
        elif data["action"] == "contingency":
            if not data.get("amount"):
                raise Refused("Say how much contingency you need.")
            raid_services.raid_issue_request_contingency(
                item=item, user=user, amount=data["amount"], category=data.get("category") or "labour"
            )
            messages.success(request, "Contingency requested from the heads.")
        else:
            role = raid_services.raid_issue_open_role(item=item, user=user, hours_per_week=data.get("hours_per_week"))
            messages.success(request, f"Open role “{role.title}” added; add the skills it needs.")
            return redirect("projects:team", code=project.code)
    except Refused as exc:
        _refused(request, exc)
    return back
