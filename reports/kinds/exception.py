"""The exception report (PRINCE2): one broken tolerance of one project, for the internal audience only.

When ``projects.budget.services.checks.budget_check`` raises a
:class:`~projects.models.ToleranceException`, ``reports.services``
(``exception_report_queue``) queues an internal, project-scope report of
this kind pointing at it (``Report.tolerance_exception``); it is never
requested or scheduled. The pipeline renders it and delivers it to the
project's reporting heads, the heads of its departments and the PM.

Snapshot shape (internal audience only; money as Decimal strings)::

    {"schema": 1, "kind": "exception", "audience": "internal", "scope": "project",
     "title", "scope_label", "period_start": None, "period_end", "generated_at",
     "exception": {"id", "kind", "kind_label", "state", "summary", "raised_at",
                   "tolerance", "actual"},
     "figures": {bac, eac, eac_method, vac, ac, ev, pv, cpi, spi, currency,
                 forecast_finish, baseline_finish, as_of},
     "project": {code, name, client, project_manager, start_date, end_date, rag,
                 performance_rag (from the stored CPI and SPI; "" without either)},
     "chart_svg": "<svg ...>" (burn-up of PV, EV and AC),
     "plan": None (no plan submitted yet: a draft is the PM's own) or
             {"state", "state_label", "options", "recommendation", "forecast_eac", "forecast_finish",
              "submitted_by", "submitted_at", "decided_by", "decided_at", "decision_note"}
             (a rejected plan being revised: state "draft", only the rejection filled in),
     "projects": [], "totals": {}, "changes": {}, "summary_lines": [...]}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from apm.charts.burn_up import burn_up_svg
from apm.reporting import ReportKind
from apm.templatetags.apm_format import index
from projects.budget.evm import rag_from_indices
from projects.budget.selectors import burn_up_series
from projects.models import ExceptionPlan, PlanState, ToleranceException
from reports.kinds.base import SCHEMA_VERSION, ReportKindSpec, Snapshot, SnapshotRequest, iso, money
from reports.models import Audience, Scope


def performance_rag(figures: dict[str, Any]) -> str:
    """The rating from the stored CPI and SPI (the worse of the two, ``evm.rag_from_indices``); "" without either."""
    indices = [None if figures.get(key) in (None, "") else Decimal(str(figures[key])) for key in ("cpi", "spi")]
    if indices == [None, None]:
        return ""
    return rag_from_indices(cpi_value=indices[0], spi_value=indices[1])


class ExceptionSnapshot(Snapshot):
    """An exception report's own keys (shapes in the module docstring)."""

    exception: dict[str, Any]
    figures: dict[str, Any]
    project: dict[str, Any]
    chart_svg: str
    plan: dict[str, Any] | None


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def plan_snapshot(exception: ToleranceException) -> dict[str, Any] | None:
    """The exception's plan as the report shows it, or None when none was submitted (a draft stays the PM's)."""
    plan = ExceptionPlan.objects.select_related("submitted_by", "decided_by").filter(exception=exception).first()
    if plan is None or (plan.state == PlanState.DRAFT and plan.decided_at is None):
        return None
    if plan.state == PlanState.DRAFT:
        # Rejected and being revised: the rejection, not the unsubmitted revision.
        return {
            "state": plan.state,
            "state_label": "Rejected, being revised",
            "options": "",
            "recommendation": "",
            "forecast_eac": None,
            "forecast_finish": None,
            "submitted_by": "",
            "submitted_at": None,
            "decided_by": _name(plan.decided_by),
            "decided_at": plan.decided_at.isoformat() if plan.decided_at else None,
            "decision_note": plan.decision_note,
        }
    return {
        "state": plan.state,
        "state_label": plan.get_state_display(),
        "options": plan.options,
        "recommendation": plan.recommendation,
        "forecast_eac": money(plan.forecast_eac),
        "forecast_finish": iso(plan.forecast_finish),
        "submitted_by": _name(plan.submitted_by),
        "submitted_at": plan.submitted_at.isoformat() if plan.submitted_at else None,
        "decided_by": _name(plan.decided_by),
        "decided_at": plan.decided_at.isoformat() if plan.decided_at else None,
        "decision_note": plan.decision_note,
    }


def build_snapshot(request: SnapshotRequest) -> ExceptionSnapshot:
    """The snapshot of the exception report about ToleranceException ``request.tolerance_exception_id``.

    The figures are those stored when the exception was raised, so the PDF
    explains the breach as it was. Raises ValueError for a client audience
    (an exception report holds internal costs) or a missing exception.
    """
    if request.audience != Audience.INTERNAL:
        raise ValueError("An exception report is internal: it holds costs and forecasts.")
    if request.tolerance_exception_id is None:
        raise ValueError("An exception report needs the tolerance exception it is about.")
    exception = ToleranceException.objects.select_related("project__client", "project__project_manager").get(
        pk=request.tolerance_exception_id
    )
    project = exception.project
    figures = dict(exception.figures)
    as_of = timezone.localdate(exception.raised_at)
    series = burn_up_series(project=project, as_of=as_of)
    client, pm = project.client, project.project_manager
    return {
        "schema": SCHEMA_VERSION,
        "kind": ReportKind.EXCEPTION.value,
        "audience": Audience.INTERNAL.value,
        "scope": Scope.PROJECT.value,
        "title": request.title,
        "scope_label": f"{project.code} — {project.name}",
        "period_start": None,
        "period_end": as_of.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "exception": {
            "id": exception.pk,
            "kind": exception.kind,
            "kind_label": exception.get_kind_display(),
            "state": exception.state,
            "summary": exception.summary,
            "raised_at": exception.raised_at.isoformat(),
            "tolerance": figures.get("tolerance", ""),
            "actual": figures.get("actual", ""),
        },
        "figures": figures,
        "project": {
            "code": project.code,
            "name": project.name,
            "client": client.name if client is not None else "",
            "project_manager": (pm.get_full_name() or pm.username) if pm else "",
            "start_date": project.start_date.isoformat() if project.start_date else None,
            "end_date": project.end_date.isoformat() if project.end_date else None,
            "rag": project.rag,
            "performance_rag": performance_rag(figures),
        },
        "chart_svg": burn_up_svg(series, currency=project.currency, title=f"{project.code}: PV, EV and AC"),
        "plan": plan_snapshot(exception),
        "projects": [],
        "totals": {},
        "changes": {},
        "summary_lines": [
            exception.summary,
            f"EAC ({figures.get('eac_method', '')}) {figures.get('eac')} against BAC {figures.get('bac')} "
            f"{figures.get('currency', '')}; CPI {index(figures.get('cpi'))}, SPI {index(figures.get('spi'))}",
        ],
    }


def subject(exception: ToleranceException) -> str:
    """What the report's title names: "ALPHA-1 cost tolerance"."""
    return f"{exception.project.code} {exception.get_kind_display().lower()} tolerance"


SPEC = ReportKindSpec(
    kind=ReportKind.EXCEPTION,
    scopes=(Scope.PROJECT,),
    audiences=(Audience.INTERNAL,),
    build_snapshot=build_snapshot,
    template="reports/pdf/exception.html",
    about_exception=True,
)
