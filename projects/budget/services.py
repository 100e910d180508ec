"""Writes of budgets, time and costs, baselines, tolerances, alerts and contingency.

Every change to a budget writes a :class:`~projects.models.BudgetEvent` (the
audit trail) in the same transaction. A refusal is ``apm.errors.Refused``
(``UploadRefused`` for a bad receipt), before anything is written or inside
the transaction that would have written it; what a user typed is checked
against the model's own validation first (``apm.validation``).
Notifications go through the email outbox
(``apm.outbox.services.outbox_enqueue``), never ``send_mail``.
Money is Decimal in the project's currency, rounded half-up to the minor unit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from apm import access, validation
from apm.accounts.models import User
from apm.errors import Refused
from apm.outbox.services import outbox_enqueue
from apm.uploads import UploadPolicy, upload_check
from projects.budget import evm, selectors
from projects.budget.signals import tolerance_exception_raised
from projects.models import (
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    ContingencyRequest,
    ContingencyState,
    CostCategory,
    ExceptionState,
    Expense,
    Milestone,
    Project,
    ProjectBudget,
    TimeEntry,
    ToleranceException,
    ToleranceKind,
)
from teams.selectors import member_rate_on

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from teams.models import TeamMember

logger = logging.getLogger(__name__)

#: Budget threshold alerts: percent of BAC spent (AC / BAC * 100), each sent once per project.
ALERT_THRESHOLDS = (50, 75, 90, 100)
#: Receipts: PDF, PNG or JPEG by content (not by name), at most this many bytes.
RECEIPT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
RECEIPT_MAX_BYTES = 10 * 1024 * 1024


def _audit(*, project: Project, actor: User | None, action: str, **detail: Any) -> BudgetEvent:
    clean = {k: (str(v) if isinstance(v, Decimal | dt.date) else v) for k, v in detail.items()}
    return BudgetEvent.objects.create(project=project, at=timezone.now(), actor=actor, action=action, detail=clean)


def budget_get(*, project: Project) -> ProjectBudget:
    """The project's budget settings, created with the defaults on first use."""
    budget, _ = ProjectBudget.objects.get_or_create(project=project)
    return budget


def _sync_bac(project: Project) -> Decimal:
    """Set ``Project.bac`` to the sum of its budget lines (so reports and lists agree); returns it."""
    total = evm.money(BudgetLine.objects.filter(project=project).aggregate(t=Sum("amount"))["t"] or 0)
    Project.objects.filter(pk=project.pk).update(bac=total)
    project.bac = total
    return total


#: Description of the line that holds a BAC not yet split into lines.
UNALLOCATED_DESCRIPTION = "Not yet split into lines"


def budget_line_add(
    *, project: Project, category: str, amount: Decimal, description: str = "", actor: User | None
) -> BudgetLine:
    """Add a budget line (money >= 0); BAC stays the sum of the lines.

    A project whose BAC was set before it had lines (an imported whole-life
    cost, a BAC typed on the project form) keeps that BAC: the first line
    splits it, leaving the rest on an "unallocated" line, and later lines are
    taken from that line until it is used up; only then does BAC grow.

    Raises ``Refused`` for an unknown category, a negative amount or one the
    model refuses (more than 16 digits before the decimal point), or a
    description over 200 characters; nothing is written then.
    """
    if category not in CostCategory.values:
        raise Refused(f"Unknown category {category!r}.")
    amount = evm.money(amount)
    if amount < 0:
        raise Refused("A budget line cannot be negative.")
    line = BudgetLine(project=project, category=category, amount=amount, description=description)
    validation.clean(line)
    with transaction.atomic():
        lines = BudgetLine.objects.select_for_update().filter(project=project)
        prior_bac = Project.objects.filter(pk=project.pk).values_list("bac", flat=True).first() or Decimal("0")
        if not lines.exists() and prior_bac > 0:
            BudgetLine.objects.create(
                project=project,
                category=CostCategory.OTHER,
                amount=evm.money(prior_bac),
                description=UNALLOCATED_DESCRIPTION,
                unallocated=True,
            )
        pool = lines.filter(unallocated=True).first()
        if pool is not None and amount > 0:
            taken = min(pool.amount, amount)
            pool.amount = evm.money(pool.amount - taken)
            if pool.amount > 0:
                pool.save(update_fields=["amount"])
            else:
                pool.delete()
        line.save(force_insert=True)
        bac = _sync_bac(project)
        _audit(project=project, actor=actor, action="line_added", category=category, amount=amount, bac=bac)
    return line


def budget_line_remove(*, line: BudgetLine, actor: User | None) -> None:
    """Remove a budget line and set BAC to the sum of the remaining lines."""
    project = line.project
    with transaction.atomic():
        detail = {"category": line.category, "amount": line.amount, "description": line.description}
        line.delete()
        bac = _sync_bac(project)
        _audit(project=project, actor=actor, action="line_removed", bac=bac, **detail)


def budget_settings_update(
    *,
    project: Project,
    contingency_reserve: Decimal,
    cost_tolerance_percent: Decimal,
    time_tolerance_days: int,
    etc_bottom_up: Decimal | None,
    actor: User | None,
) -> ProjectBudget:
    """Set the contingency reserve, tolerances (± percent of BAC, ± days) and bottom-up ETC; audited.

    Raises ``Refused`` for a negative value or one the model refuses (a cost
    tolerance over 100 %), changing nothing.
    """
    if contingency_reserve < 0 or cost_tolerance_percent < 0 or time_tolerance_days < 0:
        raise Refused("Reserve and tolerances cannot be negative.")
    with transaction.atomic():
        budget = budget_get(project=project)
        before = {
            "contingency_reserve": str(budget.contingency_reserve),
            "cost_tolerance_percent": str(budget.cost_tolerance_percent),
            "time_tolerance_days": budget.time_tolerance_days,
            "etc_bottom_up": None if budget.etc_bottom_up is None else str(budget.etc_bottom_up),
        }
        budget.contingency_reserve = evm.money(contingency_reserve)
        budget.cost_tolerance_percent = cost_tolerance_percent
        budget.time_tolerance_days = time_tolerance_days
        budget.etc_bottom_up = None if etc_bottom_up is None else evm.money(etc_bottom_up)
        validation.clean(budget)
        budget.save()
        _audit(
            project=project,
            actor=actor,
            action="settings_changed",
            before=before,
            contingency_reserve=budget.contingency_reserve,
            cost_tolerance_percent=budget.cost_tolerance_percent,
            time_tolerance_days=budget.time_tolerance_days,
            etc_bottom_up=budget.etc_bottom_up,
        )
    return budget


# --- Actuals --------------------------------------------------------------------------


def time_entry_record(
    *,
    member: TeamMember,
    project: Project,
    date: dt.date,
    hours: Decimal,
    billable: bool = True,
    note: str = "",
    actor: User | None = None,
) -> TimeEntry:
    """Record ``hours`` (0 < h <= 24) by ``member`` on ``project`` on ``date``, costed now.

    The cost rate is the one valid on ``date`` (``teams.selectors.member_rate_on``)
    and is stored with the cost (hours * rate, half-up to the minor unit), so a
    later rate change never rewrites it. Raises ``Refused`` when the member
    is not on the project, has no rate on that date, the rate's currency is
    not the project's, the hours are out of range, or the model refuses a
    value (a note over 300 characters). Re-checks the budget after.
    """
    hours = Decimal(hours)
    if hours < Decimal("0.25") or hours > 24:
        raise Refused("Hours are at least 0.25 (a quarter of an hour) and at most 24.")
    if not project.team_members.filter(pk=member.pk).exists():
        raise Refused(f"{member} is not on the team of {project.code}.")
    rate = member_rate_on(member_id=member.pk, on=date)
    if rate is None:
        raise Refused(f"{member} has no cost rate on {date:%d %b %Y}; ask an administrator to set one.")
    if rate.currency != project.currency:
        raise Refused(f"{member}'s rate is in {rate.currency} but {project.code} is budgeted in {project.currency}.")
    entry = TimeEntry(
        member=member,
        project=project,
        date=date,
        hours=hours,
        billable=billable,
        note=note,
        cost_rate=rate.cost_rate,
        cost=evm.money(hours * rate.cost_rate),
        currency=project.currency,
        created_by=actor,
    )
    validation.clean(entry)
    with transaction.atomic():
        entry.save(force_insert=True)
        budget_check(project=project)
    return entry


def receipt_check(upload: UploadedFile) -> str:
    """The content type of a receipt upload (PDF, PNG or JPEG by its bytes, at most ``RECEIPT_MAX_BYTES``).

    Raises ``apm.uploads.UploadRefused`` (a Refused) with a clear message.
    """
    policy = UploadPolicy(
        what="receipt",
        accepted=tuple(RECEIPT_TYPES),
        accepted_text="a PDF, PNG or JPEG file",
        max_bytes=RECEIPT_MAX_BYTES,
        check_extension=False,
    )
    return upload_check(upload, policy).content_type


def expense_record(
    *,
    project: Project,
    date: dt.date,
    amount: Decimal,
    category: str,
    supplier: str,
    description: str = "",
    receipt: UploadedFile | None = None,
    actor: User | None = None,
) -> Expense:
    """Record an expense (money > 0, project currency) with an optional receipt; re-checks the budget.

    The receipt (:func:`receipt_check`) and the expense's values are checked
    before anything is written or stored: raises ``Refused`` for a bad
    upload (``UploadRefused``), an amount of zero or less, an unknown
    category, or a value the model refuses (no supplier, or one over 200
    characters). The receipt is stored in private storage under a generated
    name.
    """
    amount = evm.money(amount)
    if amount <= 0:
        raise Refused("An expense must be more than zero.")
    if category not in CostCategory.values:
        raise Refused(f"Unknown category {category!r}.")
    content_type = receipt_check(receipt) if receipt is not None else ""
    with transaction.atomic():
        expense = Expense(
            project=project,
            date=date,
            amount=amount,
            currency=project.currency,
            category=category,
            supplier=supplier,
            description=description,
            created_by=actor,
            receipt_content_type=content_type,
        )
        if receipt is not None:
            expense.receipt_name = (receipt.name or "receipt")[-200:]
        # Before the receipt is stored: a refused expense leaves no file behind.
        validation.clean(expense)
        if receipt is not None:
            expense.receipt.save(f"receipt.{RECEIPT_TYPES[content_type]}", receipt, save=False)
        try:
            expense.save()
            _audit(project=project, actor=actor, action="expense_added", amount=amount, supplier=supplier)
            budget_check(project=project)
        except Exception:
            if expense.receipt:
                expense.receipt.storage.delete(expense.receipt.name)
            raise
    return expense


# --- Baselines ------------------------------------------------------------------------


def baseline_create(*, project: Project, reason: str, actor: User | None, change_reference: str = "") -> Baseline:
    """Snapshot the project's budget (lines, BAC, contingency) and dates as its new current baseline.

    The previous baseline stays, no longer current. Called by the PM, and by
    an approved change request (``change_reference`` names it). Raises
    ``Refused`` without a reason.
    """
    if not reason.strip():
        raise Refused("Say why the baseline is set.")
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        budget = budget_get(project=project)
        lines = list(BudgetLine.objects.filter(project=project).order_by("category", "pk"))
        milestones = list(Milestone.objects.filter(project=project).order_by("due_date", "pk"))
        last = Baseline.objects.filter(project=project).order_by("-number").first()
        Baseline.objects.filter(project=project, is_current=True).update(is_current=False)
        baseline = validation.create(
            Baseline,
            # A project with no budget lines or milestones yet has empty lists here, which the
            # fields (not blank=True) would refuse as blank; both are snapshots the code builds.
            exclude=["lines", "milestones"],
            project=project,
            number=(last.number + 1) if last else 1,
            is_current=True,
            reason=reason.strip()[:300],
            change_reference=change_reference,
            bac=selectors.project_bac(project, sum((line.amount for line in lines), Decimal("0"))),
            contingency_reserve=budget.contingency_reserve,
            currency=project.currency,
            start_date=project.start_date,
            end_date=project.end_date,
            lines=[{"category": x.category, "description": x.description, "amount": str(x.amount)} for x in lines],
            milestones=[
                {"name": m.name, "due_date": m.due_date.isoformat(), "weight": str(m.weight)} for m in milestones
            ],
            created_by=actor,
        )
        _audit(project=project, actor=actor, action="baseline_set", number=baseline.number, bac=baseline.bac)
    return baseline


def baseline_compare(*, project: Project, baseline: Baseline) -> dict[str, Any]:
    """Current against ``baseline``: ``{"rows": [{label, baseline, current, change, kind}]}``.

    ``kind`` is "money" or "date"; ``change`` is money or days (current - baseline).
    """
    budget = budget_get(project=project)
    lines_total = BudgetLine.objects.filter(project=project).aggregate(t=Sum("amount"))["t"]
    current_bac = selectors.project_bac(project, lines_total)
    rows = [
        {"label": "BAC", "baseline": baseline.bac, "current": current_bac, "change": current_bac - baseline.bac},
        {
            "label": "Contingency reserve",
            "baseline": baseline.contingency_reserve,
            "current": budget.contingency_reserve,
            "change": budget.contingency_reserve - baseline.contingency_reserve,
        },
    ]
    for label, before, now in (
        ("Start", baseline.start_date, project.start_date),
        ("Finish", baseline.end_date, project.end_date),
    ):
        change = (now - before).days if before and now else None
        rows.append({"label": label, "baseline": before, "current": now, "change": change, "kind": "date"})
    for row in rows[:2]:
        row["kind"] = "money"
    return {"rows": rows}


# --- Tolerances, exceptions and threshold alerts ---------------------------------------------


@dataclass
class CheckResult:
    """What :func:`budget_check` found and did."""

    metrics: evm.EvmMetrics
    raised: list[ToleranceException] = field(default_factory=list)
    closed: list[ToleranceException] = field(default_factory=list)
    alerts: list[BudgetAlert] = field(default_factory=list)


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


def _people_to_notify(project: Project) -> list[str]:
    """The PM, every reporting head and the heads of the project's departments (addresses, deduplicated).

    Budget emails carry the project's money: only those who may see it (``access.see_money``) get them.
    """
    users = list(project.reporting_heads.all())
    users += User.objects.filter(headed_departments__projects=project).distinct().order_by("pk")
    if project.project_manager_id:
        users.insert(0, project.project_manager)
    seen, out = set(), []
    for user in users:
        address = (user.email or "").strip()
        if address and address.lower() not in seen and access.see_money.allows(user, project):
            seen.add(address.lower())
            out.append(address)
    return out


def _notify(*, project: Project, template: str, context: dict[str, Any], to: list[str] | None = None) -> None:
    """One outbox email from ``templates/emails/<template>-subject|body-text|body-html``."""
    recipients = to if to is not None else _people_to_notify(project)
    if not recipients:
        logger.warning("No one to notify about %s for %s", template, project.code)
        return
    context = {"project": project, **context}
    outbox_enqueue(
        kind="notification",
        to=recipients,
        subject=render_to_string(f"emails/{template}-subject.txt", context),
        body_text=render_to_string(f"emails/{template}-body-text.txt", context),
        body_html=render_to_string(f"emails/{template}-body-html.html", context),
    )


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
    _audit(project=project, actor=None, action="exception_raised", kind=kind, summary=summary)
    _notify(project=project, template="budget-exception", context={"exception": exception, "figures": figures})
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
    ``ALERT_THRESHOLDS``) when AC reaches that percent of BAC.
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
                    _audit(project=loaded, actor=None, action="exception_closed", kind=kind)
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
                _notify(project=loaded, template="budget-threshold", context={"alert": top, "metrics": metrics})
    return result


# --- Contingency drawdown --------------------------------------------------------------------


def contingency_request(
    *, project: Project, amount: Decimal, category: str, reason: str, actor: User
) -> ContingencyRequest:
    """The PM asks to move ``amount`` (money > 0, at most the reserve) into a ``category`` line.

    Raises ``Refused`` unless ``actor`` is the PM (or an administrator), and
    for a bad amount (zero or less, more than the reserve, or more digits
    than money holds), category or empty reason. Changes no budget.
    """
    access.edit_budget.require(actor, project, "Only the project manager may request contingency.")
    amount = evm.money(amount)
    if amount <= 0:
        raise Refused("Ask for more than zero.")
    if category not in CostCategory.values:
        raise Refused(f"Unknown category {category!r}.")
    if not reason.strip():
        raise Refused("Give a reason for the drawdown.")
    # Read, not get_or_create: a refused request must leave no row behind (the defaults have no reserve).
    budget = ProjectBudget.objects.filter(project=project).first() or ProjectBudget(project=project)
    if amount > budget.contingency_reserve:
        raise Refused(f"Only {budget.contingency_reserve} {project.currency} is left in the contingency reserve.")
    with transaction.atomic():
        request = validation.create(
            ContingencyRequest,
            project=project,
            amount=amount,
            category=category,
            reason=reason.strip(),
            requested_by=actor,
            requested_at=timezone.now(),
        )
        _audit(project=project, actor=actor, action="contingency_requested", request=request.pk, amount=amount)
    return request


def contingency_decide(
    *, request: ContingencyRequest, approve: bool, note: str = "", actor: User
) -> ContingencyRequest:
    """A department head approves or rejects a pending request; only approval changes the budget.

    Approval, in one transaction with the budget row locked: the reserve goes
    down by the amount and a budget line of the requested category goes up
    by it (so BAC rises by it), with the audit entry. Raises ``Refused``
    unless ``actor`` may decide (``access.decide_as_head``), when ``actor``
    requested it or manages the project (administrators excepted), when the
    request is no longer pending or the reserve is now too small.
    The PM is emailed the decision.
    """
    project = request.project
    access.decide_as_head.require(
        actor, project, "Only a head of the project's departments or a reporting head may decide."
    )
    if not access.administer.allows(actor) and actor.pk in (request.requested_by_id, project.project_manager_id):
        # Separation of duties: the PM who asked for the money does not approve it.
        raise Refused("You asked for this money or manage the project: another head must decide.")
    with transaction.atomic():
        locked = ContingencyRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != ContingencyState.PENDING:
            raise Refused(f"This request was already {locked.get_state_display().lower()}.")
        budget_get(project=project)
        budget = ProjectBudget.objects.select_for_update().get(project=project)
        if approve:
            if locked.amount > budget.contingency_reserve:
                raise Refused(
                    f"Only {budget.contingency_reserve} {project.currency} is left in the reserve; cannot approve."
                )
            budget.contingency_reserve = evm.money(budget.contingency_reserve - locked.amount)
            budget.save(update_fields=["contingency_reserve", "updated_at"])
            validation.create(
                BudgetLine,
                project=project,
                category=locked.category,
                amount=locked.amount,
                description=f"Contingency drawdown #{locked.pk}",
            )
            bac = _sync_bac(project)
        locked.state = ContingencyState.APPROVED if approve else ContingencyState.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note.strip()
        fields = ["state", "decided_by", "decided_at", "decision_note"]
        validation.clean(locked, fields=fields)
        locked.save(update_fields=fields)
        _audit(
            project=project,
            actor=actor,
            action="contingency_approved" if approve else "contingency_rejected",
            request=locked.pk,
            amount=locked.amount,
            reserve_left=budget.contingency_reserve,
            **({"bac": bac} if approve else {}),
        )
        requester = locked.requested_by
        if requester is not None and requester.email:
            _notify(project=project, template="contingency-decided", context={"request": locked}, to=[requester.email])
    return locked


def projects_for_time_entry(*, user: User) -> QuerySet[Project]:
    """Projects ``user`` may log time on (``access.log_time``: those their TeamMember is on)."""
    return access.log_time.queryset(user)
