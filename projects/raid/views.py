"""Pages of the RAID log: the log with the risk heat map, a new item, an item, and its actions (move,
acknowledge, tell the client, and the one-click actions of a critical issue).

The selectors read and the services write; only people who may see the
project's internal pages get them (``apm.access.see_internal``), anyone
else a 404. What a service refuses is shown in its words, and nothing
changes (``apm.actions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_shown
from apm.errors import Refused
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.common import workflow
from projects.common.history import history_rows
from projects.common.lookups import child_or_404, project_or_404
from projects.common.pages import delivery_form_page, project_page_flags
from projects.conversation.selectors import comment_thread
from projects.models import CostCategory, RaidItem, RaidKind
from projects.raid import forms, selectors, services


@login_required
def raid_log(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The RAID log: critical issues first, the risk heat map, and every item by kind."""
    project = project_or_404(request, code, access.see_internal)
    kind = _raid_kind(request)
    items = list(selectors.raid_log(project=project, kind=kind or None))
    grid = selectors.risk_heat_map(project=project)
    critical = [i for i in items if i.is_critical and i.status != "closed"] if not kind or kind == "issue" else []
    return render(
        request,
        "projects/raid/raid.html",
        {
            **project_page_flags(request, project),
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


def _raid_kind(request: AuthenticatedHttpRequest) -> str:
    """The log's kind filter from the query string ("" for all kinds)."""
    kind = request.GET.get("kind", "")
    return kind if kind in RaidKind.values else ""


#: The columns of the RAID log's export, as the log shows them (score split into its parts).
RAID_COLUMNS = (
    "Ref.",
    "Kind",
    "Title",
    "Owner",
    "Probability",
    "Impact",
    "Score",
    "Severity",
    "Status",
    "Critical",
    "Raised",
)


@login_required
def raid_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """The RAID log as CSV or XLSX, filtered by kind as the page is (every item, not a page)."""
    export_format(fmt)
    project = project_or_404(request, code, access.see_internal)
    kind = _raid_kind(request)
    rows = (
        (
            i.reference,
            i.get_kind_display(),
            i.title,
            str(i.owner) if i.owner else "",
            i.probability if i.kind == RaidKind.RISK else None,
            i.impact if i.kind == RaidKind.RISK else None,
            i.score if i.kind == RaidKind.RISK else None,
            i.get_severity_display() if i.kind == RaidKind.ISSUE else "",
            i.get_status_display(),
            bool(i.is_critical),
            i.raised_at,
        )
        for i in selectors.raid_log(project=project, kind=kind or None).iterator()
    )
    return table_response(
        rows=rows,
        columns=RAID_COLUMNS,
        filename=export_filename("raid", project.code + (f"-{kind}" if kind else ""), fmt),
        fmt=fmt,
        sheet="RAID log",
    )


@login_required
def raid_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.work_on_project)
    kind = request.GET.get("kind") or request.POST.get("kind") or RaidKind.RISK
    if kind not in RaidKind.values:
        raise Http404("No such kind.")
    form = forms.RaidItemForm(request.POST or None, project=project, kind=kind)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request):
            item = services.raid_item_create(project=project, kind=kind, user=request.user, **form.service_fields())
            note = " The reporting heads were told at once." if item.is_critical else ""
            messages.success(request, f"{item.get_kind_display()} {item.reference} logged.{note}")
            return redirect("projects:raid_item", code=project.code, pk=item.pk)
    return delivery_form_page(
        request, project, form, title=f"New {RaidKind(kind).label.lower()}", tab="raid", hidden={"kind": kind}
    )


@login_required
def raid_detail(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    item = child_or_404(
        RaidItem.objects.select_related("owner", "acknowledged_by", "raised_by"), project=project, pk=pk
    )
    form = forms.RaidItemForm(
        request.POST or None,
        project=project,
        kind=item.kind,
        initial=model_to_dict(item, fields=list(forms.RaidItemForm.base_fields)),
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request):
            services.raid_item_update(item=item, user=request.user, **form.service_fields())
            messages.success(request, f"{item.reference} saved.")
            return redirect("projects:raid_item", code=project.code, pk=item.pk)
    return render(
        request,
        "projects/raid/raid_detail.html",
        {
            **project_page_flags(request, project),
            "item": item,
            "form": form,
            "moves": workflow.RAID.next_states(item.status),
            "may_ack": item.is_critical
            and item.acknowledged_at is None
            and access.decide_as_head.allows(request.user, project),
            "history": history_rows(item),
            "thread": comment_thread(anchor=item, user=request.user),
            "categories": CostCategory.choices,
        },
    )


@login_required
@require_POST
def raid_action(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Move, acknowledge, tell the client, and the one-click actions of a critical issue."""
    project = project_or_404(request, code, access.see_internal)
    item = child_or_404(RaidItem, project=project, pk=pk)
    form = forms.RaidActionForm(request.POST)
    if request.POST.get("next") == "log":
        back = redirect("projects:raid", code=project.code)
    else:
        back = redirect("projects:raid_item", code=project.code, pk=item.pk)
    if not form_valid_or_shown(request, form):
        return back
    data, user = form.cleaned_data, request.user
    with refusal_shown(request):
        if data["action"] == "move":
            services.raid_item_transition(item=item, to=data["to"], user=user)
            messages.success(request, f"{item.reference} is {item.get_status_display().lower()}.")
        elif data["action"] == "acknowledge":
            services.raid_issue_acknowledge(item=item, user=user)
            messages.success(request, f"{item.reference} acknowledged.")
        elif data["action"] == "tell_client":
            count = services.raid_issue_tell_client(item=item, user=user, message=data["message"] or None)
            messages.success(request, f"The client was told ({count} contact{'s' if count != 1 else ''}).")
        elif data["action"] == "contingency":
            if not data.get("amount"):
                raise Refused("Say how much contingency you need.")
            services.raid_issue_request_contingency(
                item=item, user=user, amount=data["amount"], category=data.get("category") or "labour"
            )
            messages.success(request, "Contingency requested from the heads.")
        else:
            role = services.raid_issue_open_role(item=item, user=user, hours_per_week=data.get("hours_per_week"))
            messages.success(request, f"Open role “{role.title}” added; add the skills it needs.")
            return redirect("projects:team", code=project.code)
    return back
