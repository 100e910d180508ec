"""The budget check: figures recalculated, tolerance exceptions raised or closed, threshold alerts sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.billing.alerts import margin_check
from projects.budget import evm, selectors
from projects.budget.services.events import budget_event_record
from projects.budget.services.notifications import budget_notify
from projects.budget.services.plan import budget_get
from projects.budget.signals import tolerance_exception_raised
from projects.chat.announcements import announce_tolerance_broken
from projects.models import (
    Baseline,
    BudgetAlert,
    ExceptionState,
    MarginAlert,
    Project,
    ProjectBudget,
    ToleranceException,
    ToleranceKind,
)

#: Budget threshold alerts: percent of BAC spent (AC / BAC * 100), each sent once per project.
ALERT_THRESHOLDS = (50, 75, 90, 100)


@dataclass
class CheckResult:
    """What :func:`budget_check` found and did."""

    metrics: evm.EvmMetrics
    raised: list[ToleranceException] = field(default_factory=list)
    closed: list[ToleranceException] = field(default_factory=list)
    alerts: list[BudgetAlert] = field(default_factory=list)
    margin_alert: MarginAlert | None = None


def _breaches(
    project: Project, budget: ProjectBudget, metrics: evm.EvmMetrics, *, has_baseline: bool
) -> dict[str, dict[str, Any] | None]:
    """For each tolerance kind, the breach figures or None when inside tolerance.

    Cost: |EAC - BAC| / BAC * 100 > cost tolerance percent. Time: |forecast
    finish - baseline finish| in days > time tolerance days, only once a
    baseline has been set (PRINCE2 measures time tolerance against the
    baseline plan; before one is agreed, the straight line over the
    project's dates is a guess, and a project imported mid-way would look
    years late). Either way (PRINCE2 tolerances are plus or minus).
    """
    out: dict[str, dict[str, Any] | None] = {ToleranceKind.COST: None, ToleranceKind.TIME: None}
    common = {
        "as_of": metrics.as_of.isoformat(),
        "bac": str(metrics.bac),
        "eac": str(metrics.eac),
        "eac_method": metrics.eac_method,
        "vac": str(metrics.vac),
        "ac": str(metrics.ac),
        "ev": str(metrics.ev),
        "pv": str(metrics.pv),
        "cpi": None if metrics.cpi is None else str(metrics.cpi),
        "spi": None if metrics.spi is None else str(metrics.spi),
        "currency": project.currency,
        "forecast_finish": metrics.forecast_finish.isoformat() if metrics.forecast_finish else None,
        "baseline_finish": metrics.planned_finish.isoformat() if metrics.planned_finish else None,
    }
    if metrics.bac > 0 and metrics.ac > 0:
        variance_pct = (metrics.eac - metrics.bac) * 100 / metrics.bac
        if abs(variance_pct) > budget.cost_tolerance_percent:
            out[ToleranceKind.COST] = {
                **common,
                "tolerance": f"±{budget.cost_tolerance_percent.normalize():f}% of BAC",
                "actual": f"{variance_pct.quantize(Decimal('0.1')):+}%",
            }
    if has_baseline and metrics.forecast_finish and metrics.planned_finish and metrics.ev > 0:
        slip = (metrics.forecast_finish - metrics.planned_finish).days
        if abs(slip) > budget.time_tolerance_days:
            out[ToleranceKind.TIME] = {
                **common,
                "tolerance": f"±{budget.time_tolerance_days} days",
                "actual": f"{slip:+} days",
            }
    return out


def _raise_exception(
    project: Project, kind: str, figures: dict[str, Any], now: dt.datetime
) -> ToleranceException | None:
    label = ToleranceKind(kind).label
    summary = f"{label} tolerance {figures['tolerance']} broken: forecast {figures['actual']}"
    try:
        with transaction.atomic():
            exception = ToleranceException.objects.create(
                project=project, kind=kind, summary=summary, figures=figures, raised_at=now
            )
    except IntegrityError:  # another worker raised it first: raised once
        return None
    budget_event_record(project=project, actor=None, action="exception_raised", kind=kind, summary=summary)
    budget_notify(project=project, template="budget-exception", context={"exception": exception, "figures": figures})
    announce_tolerance_broken(exception=exception)
    tolerance_exception_raised.send(sender=ToleranceException, exception=exception)
    return exception


def budget_check(*, project: Project, as_of: dt.date | None = None) -> CheckResult:
    """Recalculate ``project``'s figures; raise or close tolerance exceptions; send threshold alerts.

    Idempotent: an open exception per (project, kind) is raised once (a
    database constraint backs this) and closed when the forecast is back
    inside tolerance; a later breach raises a new one. On raising it writes
    the audit entry, emails the PM and every reporting head (outbox) and
    sends ``tolerance_exception_raised`` (the reports app queues the
    exception report PDF). Threshold alerts: one per (project, threshold in
    ``ALERT_THRESHOLDS``) when AC reaches that percent of BAC. Then the margin
    check (``projects.billing.alerts``): the forecast margin against the
    client's target, alerted once per breach.
    """
    as_of = as_of or selectors.today()
    now = timezone.now()
    with transaction.atomic():
        loaded = selectors.project_with_figures(project_id=project.pk, as_of=as_of)
        metrics = evm.evm_compute(selectors.evm_inputs_of(loaded, as_of=as_of))
        budget = budget_get(project=loaded)
        result = CheckResult(metrics=metrics)
        open_by_kind = {e.kind: e for e in ToleranceException.objects.filter(project=loaded, state=ExceptionState.OPEN)}
        has_baseline = Baseline.objects.filter(project=loaded, is_current=True).exists()
        for kind, figures in _breaches(loaded, budget, metrics, has_baseline=has_baseline).items():
            current = open_by_kind.get(kind)
            if figures is not None and current is None:
                raised = _raise_exception(loaded, kind, figures, now)
                if raised is not None:
                    result.raised.append(raised)
            elif figures is None and current is not None:
                closed = ToleranceException.objects.filter(pk=current.pk, state=ExceptionState.OPEN).update(
                    state=ExceptionState.CLOSED, closed_at=now
                )
                if closed:
                    current.state, current.closed_at = ExceptionState.CLOSED, now
                    result.closed.append(current)
                    budget_event_record(project=loaded, actor=None, action="exception_closed", kind=kind)
        if metrics.bac > 0:
            spent_pct = metrics.ac * 100 / metrics.bac
            for threshold in ALERT_THRESHOLDS:
                if spent_pct < threshold:
                    break
                alert, created = BudgetAlert.objects.get_or_create(
                    project=loaded,
                    threshold=threshold,
                    defaults={"actual_cost": metrics.ac, "bac": metrics.bac, "crossed_at": now},
                )
                if created:
                    result.alerts.append(alert)
            if result.alerts:
                top = result.alerts[-1]
                budget_notify(project=loaded, template="budget-threshold", context={"alert": top, "metrics": metrics})
        result.margin_alert = margin_check(project=loaded, as_of=as_of)
    return result
