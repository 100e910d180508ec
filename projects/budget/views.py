"""Budget pages: the project budget, receipts and the department portfolio table (the timesheet is
``projects.budget.timesheet``).

Thin: reads go through ``projects.budget.selectors``, writes through the
modules of ``projects.budget.services``. Budgets hold the project's money, so every
budget page asks ``apm.access.see_money`` (anyone else, team members and
client contacts included, gets 404) and every change ``access.edit_budget``
(403 for those who see the money but may not change it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.actions import form_valid_or_shown, refusal_on_form, refusal_shown
from apm.charts.burn_up import burn_up_svg
from apm.dates import parse_date_param
from apm.formatting import format_index, format_money
from apm.http import AuthenticatedHttpRequest
from projects.billing import currency, margin
from projects.billing.reporting import REPORTING_CURRENCIES, reporting_asked
from projects.billing.views import margin_section
from projects.budget import forms, selectors
from projects.budget.services import checks, contingency, costs, exception_plans, plan
from projects.common.lookups import child_or_404, project_or_404
from projects.models import (
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    ContingencyRequest,
    ExceptionPlan,
    ExceptionState,
    Expense,
    PlanState,
    Project,
    ToleranceException,
)
from projects.rag import RAG
from teams.models import Department


def _budget_project_or_404(request: AuthenticatedHttpRequest, code: str) -> Project:
    """The project, if the user may see its money (``access.see_money``), else 404."""
    return project_or_404(request, code, access.see_money)


def _as_of(request: AuthenticatedHttpRequest) -> dt.date:
    return parse_date_param(request.GET.get("as_of"), selectors.today())


@login_required
def budget_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Lines, actuals, remaining and forecast; EVM figures; the burn-up chart; exceptions, baselines, contingency;
    revenue and margin, billing terms and milestones for those who may see the margin
    (``projects.billing.views.margin_section``)."""
    project = _budget_project_or_404(request, code)
    as_of = _as_of(request)
    metrics = selectors.project_metrics(project=project, as_of=as_of)
    budget = plan.budget_get(project=project)
    baselines = list(Baseline.objects.filter(project=project).order_by("-number"))
    current = next((b for b in baselines if b.is_current), None)
    may_decide = access.decide_as_head.allows(request.user, project)
    return render(
        request,
        "projects/budget/budget.html",
        {
            "project": project,
            "as_of": as_of,
            "m": metrics,
            "remaining": metrics.bac - metrics.ac,
            "budget": budget,
            "categories": selectors.budget_by_category(project=project, as_of=as_of),
            "chart": burn_up_svg(
                selectors.burn_up_series(project=project, as_of=as_of),
                currency=project.currency,
                title="Burn-up: planned value, earned value and actual cost",
            ),
            "exceptions": list(
                ToleranceException.objects.filter(project=project).select_related("project", "plan")[:10]
            ),
            "alerts": list(BudgetAlert.objects.filter(project=project)),
            "baselines": baselines,
            "comparison": plan.baseline_compare(project=project, baseline=current) if current else None,
            "requests": list(ContingencyRequest.objects.filter(project=project).select_related("requested_by")[:20]),
            "expenses": list(Expense.objects.filter(project=project).order_by("-date", "-pk")[:20]),
            "events": list(BudgetEvent.objects.filter(project=project).select_related("actor")[:15]),
            "may_request": access.edit_budget.allows(request.user, project),
            "may_decide": may_decide,
            "may_decide_plan": access.decide_exception_plan.allows(request.user, project),
            "line_form": forms.BudgetLineForm(),
            "settings_form": forms.BudgetSettingsForm(
                initial={
                    "contingency_reserve": budget.contingency_reserve,
                    "cost_tolerance_percent": budget.cost_tolerance_percent,
                    "time_tolerance_days": budget.time_tolerance_days,
                    "etc_bottom_up": budget.etc_bottom_up,
                    "cost_basis": budget.cost_basis,
                }
            ),
            "expense_form": forms.ExpenseForm(initial={"date": as_of}),
            "baseline_form": forms.BaselineForm(),
            "contingency_form": forms.ContingencyRequestForm(),
            **margin_section(request, project, as_of=as_of),
        },
    )


def _budget_to_change(request: AuthenticatedHttpRequest, code: str) -> Project:
    """The project, if the user may see its money (else 404) and change its budget (else 403)."""
    project = _budget_project_or_404(request, code)
    if not access.edit_budget.allows(request.user, project):
        raise PermissionDenied("Only the project manager may change the budget.")
    return project


@login_required
@require_POST
def budget_line_add(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = _budget_to_change(request, code)
    form = forms.BudgetLineForm(request.POST)
    if form_valid_or_shown(request, form, failed="Budget line not added."):
        plan.budget_line_add(project=project, actor=request.user, **form.cleaned_data)
        project.refresh_from_db(fields=["bac"])
        bac = format_money(project.bac, project.currency)
        messages.success(request, f"Budget line added; the BAC is {bac} (the lines always add up to it).")
    return redirect("projects:budget", code=project.code)


@login_required
@require_POST
def budget_line_remove(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Remove one budget line (BAC falls by its amount); another project's line is a 404 before any 403."""
    project = _budget_project_or_404(request, code)
    line = child_or_404(BudgetLine, project=project, pk=pk)
    if not access.edit_budget.allows(request.user, project):
        raise PermissionDenied("Only the project manager may change the budget.")
    with refusal_shown(request, failed="Budget line not removed."):
        bac = plan.budget_line_remove(line=line, actor=request.user)
        messages.success(request, f"Budget line removed; the BAC is {format_money(bac, project.currency)}.")
    return redirect("projects:budget", code=project.code)


@login_required
@require_POST
def budget_settings(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = _budget_to_change(request, code)
    form = forms.BudgetSettingsForm(request.POST)
    if form_valid_or_shown(request, form, failed="Settings not saved."):
        with transaction.atomic():  # a failing check must not leave half-saved settings behind
            plan.budget_settings_update(project=project, actor=request.user, **form.cleaned_data)
            checks.budget_check(project=project)
        messages.success(request, "Reserve, tolerances and actual cost saved.")
    return redirect("projects:budget", code=project.code)


@login_required
@require_POST
def expense_add(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = _budget_to_change(request, code)
    form = forms.ExpenseForm(request.POST, request.FILES)
    if form_valid_or_shown(request, form, failed="Expense not recorded."):
        with refusal_shown(request, failed="Expense not recorded."):
            costs.expense_record(project=project, actor=request.user, **form.cleaned_data)
            messages.success(request, "Expense recorded.")
    return redirect("projects:budget", code=project.code)


@login_required
def expense_receipt(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """The receipt as a download (attachment), only to those who may see the project's budget."""
    project = _budget_project_or_404(request, code)
    expense = child_or_404(Expense, project=project, pk=pk)
    if not expense.receipt.name:
        raise Http404("No receipt.")
    extension = expense.receipt.name.rsplit(".", 1)[-1]
    audit_record(kind=AuditKind.DOCUMENT_DOWNLOADED, request=request, target=f"receipt:{expense.pk}")
    response = FileResponse(
        expense.receipt.open("rb"),
        as_attachment=True,
        filename=f"receipt-{project.code}-{expense.pk}.{extension}",
        content_type=expense.receipt_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def baseline_add(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = _budget_to_change(request, code)
    form = forms.BaselineForm(request.POST)
    if form_valid_or_shown(request, form, failed="Baseline not set."):
        baseline = plan.baseline_create(project=project, actor=request.user, **form.cleaned_data)
        messages.success(request, f"Baseline {baseline.number} set.")
    return redirect("projects:budget", code=project.code)


@login_required
@require_POST
def contingency_request(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = _budget_to_change(request, code)
    form = forms.ContingencyRequestForm(request.POST)
    if form_valid_or_shown(request, form, failed="Request not sent."):
        with refusal_shown(request, failed="Request not sent."):
            contingency.contingency_request(project=project, actor=request.user, **form.cleaned_data)
            messages.success(request, "Contingency request sent for approval.")
    return redirect("projects:budget", code=project.code)


@login_required
@require_POST
def contingency_decide(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = _budget_project_or_404(request, code)
    item = child_or_404(ContingencyRequest, project=project, pk=pk)
    form = forms.ContingencyDecisionForm(request.POST)
    if form_valid_or_shown(request, form, failed="No decision recorded."):
        approve = form.cleaned_data["decision"] == "approve"
        with refusal_shown(request):
            contingency.contingency_decide(
                request=item, approve=approve, note=form.cleaned_data["note"], actor=request.user
            )
            messages.success(request, f"Contingency request {'approved' if approve else 'rejected'}.")
    return redirect("projects:budget", code=project.code)


def _exception_of(request: AuthenticatedHttpRequest, code: str, pk: int) -> ToleranceException:
    """The project's exception ``pk`` with its plan, if the user may see the project's money, else 404."""
    project = _budget_project_or_404(request, code)
    exception = child_or_404(
        ToleranceException.objects.select_related("project", "plan__submitted_by", "plan__decided_by"),
        project=project,
        pk=pk,
    )
    exception.project = project
    return exception


def _plan_of(exception: ToleranceException) -> ExceptionPlan | None:
    try:
        return exception.plan
    except ExceptionPlan.DoesNotExist:
        return None


@login_required
def exception_plan(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A tolerance exception's plan: its figures, the PM's form (draft or submit), the head's decision.

    Those who see the money read it; only ``access.plan_exception`` may post the plan (else 403).
    """
    exception = _exception_of(request, code, pk)
    project = exception.project
    plan_row = _plan_of(exception)
    may_plan = access.plan_exception.allows(request.user, project)
    if request.method == "POST" and not may_plan:
        raise PermissionDenied("Only the project manager may write the exception plan.")
    editable = exception.state == ExceptionState.OPEN and (
        plan_row is None or plan_row.state in exception_plans.EDITABLE
    )
    initial = (
        {
            "options": plan_row.options,
            "recommendation": plan_row.recommendation,
            "forecast_eac": plan_row.forecast_eac,
            "forecast_finish": plan_row.forecast_finish,
        }
        if plan_row is not None
        else {}
    )
    form = forms.ExceptionPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submit = data.pop("action") == "submit"
        with refusal_on_form(form):
            exception_plans.exception_plan_save(exception=exception, submit=submit, actor=request.user, **data)
            messages.success(request, "Plan submitted for a decision." if submit else "Draft saved.")
            return redirect("projects:exception_plan", code=project.code, pk=exception.pk)
    return render(
        request,
        "projects/budget/exception_plan.html",
        {
            "project": project,
            "exception": exception,
            "figures": exception.figures,
            "plan": plan_row,
            "form": form,
            "may_plan": may_plan and editable,
            "may_decide": (
                plan_row is not None
                and plan_row.state == PlanState.SUBMITTED
                and access.decide_exception_plan.allows(request.user, project)
            ),
            "decision_form": forms.ExceptionPlanDecisionForm(),
        },
    )


@login_required
@require_POST
def exception_plan_decide(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """POST: approve or reject the submitted plan (404 without the money, 403 unless a head of its departments)."""
    exception = _exception_of(request, code, pk)
    project = exception.project
    if not access.decide_exception_plan.allows(request.user, project):
        raise PermissionDenied("Only a head of the project's departments may decide the exception plan.")
    plan_row = _plan_of(exception)
    form = forms.ExceptionPlanDecisionForm(request.POST)
    if plan_row is None:
        messages.error(request, "No plan has been submitted for this exception yet.")
    elif form_valid_or_shown(request, form, failed="No decision recorded."):
        approve = form.cleaned_data["decision"] == "approve"
        with refusal_shown(request, failed="No decision recorded."):
            exception_plans.exception_plan_decide(
                plan=plan_row, approve=approve, note=form.cleaned_data["note"], actor=request.user
            )
            messages.success(request, f"Exception plan {'approved' if approve else 'rejected'}.")
    return redirect("projects:exception_plan", code=project.code, pk=exception.pk)


@login_required
def department_portfolio(request: AuthenticatedHttpRequest, dept: str) -> HttpResponse:
    """CPI, SPI, EAC and RAG of a department's projects the user may see (heads, administrators), 50 a page;
    revenue to date, margin % and forecast margin % of those whose margin the user may see
    (``access.see_margin``).

    ``?status=open|closed|all`` (open by default), ``?sort=code|rag|cpi|spi|client``,
    ``?page=``, ``?as_of=``; the RAG counts above the table and the total
    below it cover every project of the filter, not only the page. The
    total is in ``?currency=`` (default: the most common currency of the
    filter's projects) at the exchange rates of ``?on=`` (default: today) by
    ``projects.billing.currency``: one query more when a project is in
    another currency, none otherwise; a currency without a rate is named and
    left out of the total. The page's margins: two queries more when a row
    shows one (time, expenses), and one each when one is fixed price
    (milestones) or recognised by percent complete.
    """
    department = access.object_or_404(request.user, access.see_department, code=dept.upper())
    as_of = _as_of(request)
    table = selectors.portfolio_table(
        projects=Project.objects.filter(departments=department),
        as_of=as_of,
        status=request.GET.get("status", ""),
        sort=request.GET.get("sort", ""),
        page=request.GET.get("page"),
        margin_of=access.see_margin.queryset(request.user),
    )
    asked = reporting_asked(request.GET, counts=table.currencies, today=selectors.today())
    # Links keep the date, the filter, the sort and the total's currency and date; each link sets its own part
    # (and page 1 unless it pages).
    keep = {"as_of": as_of.isoformat(), "status": table.status, "sort": table.sort, **asked.keep}
    total = currency.totals_in(table.money.items(), currency=asked.currency, on=asked.on)
    # One row a currency went in: a gap leaves out that currency's projects, counted by the table.
    total = replace(total, gaps=tuple((gap, table.currencies[gap.currency]) for gap, _ in total.gaps))
    visible = [row for row in table.rows if row.margin_visible]
    margins = {
        found.project.pk: found
        for found in margin.margins_of(
            projects=[row.project for row in visible],
            costs={
                row.project.pk: margin.Costs(bac=row.metrics.bac, ac=row.metrics.ac, eac=row.metrics.eac)
                for row in visible
            },
            as_of=as_of,
        )
    }
    return render(
        request,
        "projects/budget/portfolio.html",
        {
            "department": department,
            "table": table,
            "rows": table.rows,
            "cells": [_portfolio_cells(row, margins.get(row.project.pk)) for row in table.rows],
            "shows_margin": bool(margins),
            "as_of": as_of,
            "counts": table.counts,
            "status_links": [
                (value, label, table.status_counts[value], urlencode({**keep, "status": value}))
                for value, label in (("open", "Open"), ("closed", "Closed"), ("all", "All"))
            ],
            "sort_links": {value: urlencode({**keep, "sort": value}) for value in selectors.PORTFOLIO_SORTS},
            "query": urlencode(keep),
            "departments": _departments(request),
            # A row's link is this prefix, its code and "/budget/": codes are URL-safe (apm.converters), and one
            # reverse() a page is cheaper than one a row. A client's account page likewise, by the client's id.
            "budget_prefix": reverse("projects:budget", args=["x"]).removesuffix("x/budget/"),
            "account_prefix": reverse("projects:client_account", args=[0]).removesuffix("0/"),
            "total": total,
            "total_notes": asked.notes,
            "currencies": REPORTING_CURRENCIES,
            "lookback_days": currency.LOOKBACK_DAYS,
        },
    )


#: The published RAG's label in the table (anything else reads "No RAG").
_DELIVERY_LABELS = dict(RAG.choices)


def _portfolio_cells(row: selectors.PortfolioRow, figures: margin.ProjectMargin | None) -> dict[str, Any]:
    """A row of the department table as the strings its cells show, formatted as the ``money`` and ``index``
    filters write them: the template then reads one key a cell (50 rows of attribute chains, filters and
    conditions cost the page about 2 ms more). ``figures``: the project's margin, when the user may see it."""
    metrics, currency, rag = row.metrics, row.currency, row.project.rag
    client = row.project.client
    cells: dict[str, Any] = {
        "code": row.project.code,
        "name": row.project.name,
        "client": client.name if client is not None else "",
        "client_id": client.pk if client is not None and figures is not None else "",
        "delivery": rag,
        "delivery_label": _DELIVERY_LABELS.get(rag, "No RAG"),
        "rag": row.rag,
        "rag_label": row.rag[:1].upper() + row.rag[1:],
        "bac": format_money(metrics.bac, currency),
        "ac": format_money(metrics.ac, currency),
        "ev": format_money(metrics.ev, currency),
        "cpi": format_index(metrics.cpi),
        "spi": format_index(metrics.spi),
        "eac": format_money(metrics.eac, currency),
        "vac": format_money(metrics.vac, currency),
        "vac_class": "text-danger" if metrics.vac < 0 else "",
        "margin": figures is not None,
    }
    if figures is not None:
        forecast = figures.forecast.percent if figures.forecast is not None else None
        cells.update(
            revenue=format_money(figures.revenue.total, currency),
            margin_percent=margin.percent_text(figures.to_date.percent),
            margin_class="text-danger" if figures.to_date.margin < 0 else "",
            forecast_percent=margin.percent_text(forecast),
            below_target=figures.below_target,
            target=margin.percent_text(figures.target),
        )
    return cells


def _departments(request: AuthenticatedHttpRequest) -> list[Department]:
    return list(access.see_department.queryset(request.user).order_by("code"))
