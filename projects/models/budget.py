"""Budgets, time and costs, baselines, tolerances and exceptions, threshold alerts, contingency.

Money is Decimal in the project's currency, major units (e.g. pounds),
two decimal places (the minor unit), rounded half-up where it is computed
(``projects.budget.evm.money``). Internal figures: none of these models may
reach a client page, client report or client export.

Budget at completion (BAC) is the sum of a project's budget lines; the
contingency reserve is held apart and moves into a line only when a
department head approves a drawdown (``ContingencyRequest``).
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible

from projects.models.portfolio import Project
from teams.models import TeamMember

ZERO = Decimal("0")


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    SUBCONTRACTORS = "subcontractors", "Subcontractors"
    MATERIALS = "materials", "Materials"
    TRAVEL = "travel", "Travel"
    OTHER = "other", "Other"


@deconstructible(path="projects.models.budget.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under ``settings.PRIVATE_MEDIA_ROOT``: outside MEDIA_ROOT, with no public URL.

    The location is read from settings on each use, so tests that move it
    (``settings.PRIVATE_MEDIA_ROOT = tmp_path``) are honoured.
    """

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @cached_property
    def base_url(self) -> None:  # type: ignore[override]  # no public URL at all; the stubs say always str
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; serve them through a view that checks access.")


private_storage = PrivateStorage()


class CostBasis(models.TextChoices):
    """Which time earned value's actual cost (AC) reads: every entry logged, or approved time only."""

    ALL = "all", "All time logged"
    APPROVED = "approved", "Approved time only"


class ProjectBudget(models.Model):
    """A project's budget settings: contingency reserve, tolerances, bottom-up estimate to complete, and which
    time actual cost reads (``cost_basis``).

    ``contingency_reserve`` (money) is what is left in the reserve.
    ``cost_tolerance_percent`` (0-100): the forecast EAC may differ from BAC
    by this share either way. ``time_tolerance_days``: the forecast finish
    may differ from the baseline finish by this many days either way.
    ``etc_bottom_up``: the PM's own estimate to complete (money), or None.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="budget")
    contingency_reserve = models.DecimalField(
        max_digits=18, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    cost_tolerance_percent = models.DecimalField(
        "cost tolerance (±%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    time_tolerance_days = models.PositiveIntegerField("time tolerance (± days)", default=14)
    etc_bottom_up = models.DecimalField(
        "bottom-up estimate to complete (ETC)",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    cost_basis = models.CharField(
        "actual cost reads",
        max_length=10,
        choices=CostBasis.choices,
        default=CostBasis.ALL,
        help_text="Approved time only: hours count in actual cost once a PM or head has approved them.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(contingency_reserve__gte=0), name="contingency_not_negative")
        ]

    def __str__(self) -> str:
        return f"Budget of {self.project.code}"


class BudgetLine(models.Model):
    """One line of a project's budget at completion: a category, what it is for, an amount.

    ``unallocated`` marks the one line holding the part of a BAC that was set
    before the budget was split into lines (e.g. an imported whole-life
    cost); new lines are taken from it first, so the BAC stays put until it
    is spent out (see ``projects.budget.services.plan.budget_line_add``).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, validators=[MinValueValidator(ZERO)])
    unallocated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "category", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_line_not_negative")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_category_display()}: {self.amount}"


class Approval(models.TextChoices):
    """Where a time entry stands: logged (open), submitted with its week, approved (locked) or rejected."""

    OPEN = "open", "Not submitted"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class RateSource(models.TextChoices):
    """Where a billable entry's bill rate came from, most specific first."""

    PROJECT = "project", "Project rate"
    CLIENT = "client", "Client rate"
    ROLE = "role", "Role's rate card"
    PERSON = "person", "Person's bill rate"


class TimeEntry(models.Model):
    """Hours a person worked on a project on a date, costed when written.

    ``cost_rate`` (money per hour) is the person's cost rate valid on
    ``date`` when the entry was written; ``cost`` = hours * cost_rate rounded
    half-up to the minor unit. Both are stored, so a later rate change never
    rewrites a past cost. A billable entry also stores its ``bill_rate`` (per
    hour, in the project's currency; None when no rate applies), where it
    came from (``bill_rate_source``) and ``bill_amount`` = hours * bill_rate
    half-up to the minor unit (None without a rate): what the hours earn once
    approved, summed line by line as an invoice does.

    ``approval``: a person submits a week; the PM or a head of the project's
    departments approves or rejects each entry (``decided_by``, ``decided_at``,
    ``decision_comment``). Submitted and approved entries are locked for the
    person; an approved one opens again only when an approver reopens it.
    """

    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="time_entries")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="time_entries")
    date = models.DateField()
    hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
    )
    billable = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True)
    # The task worked on, of the same project (the time services refuse another project's).
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="time_entries"
    )
    cost_rate = models.DecimalField(max_digits=10, decimal_places=2, editable=False)
    cost = models.DecimalField(max_digits=18, decimal_places=2, editable=False)
    currency = models.CharField(max_length=3, editable=False)
    bill_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True, editable=False)
    bill_rate_source = models.CharField(max_length=10, choices=RateSource.choices, blank=True, editable=False)
    bill_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, editable=False)
    approval = models.CharField(max_length=10, choices=Approval.choices, default=Approval.OPEN, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_comment = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "pk"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["project", "date"]),
            models.Index(fields=["member", "date"]),
            models.Index(fields=["project", "approval"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24), name="time_entry_hours_in_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.date} {self.hours} h on {self.project.code}"


class Expense(models.Model):
    """A cost other than time: date, amount, category, supplier and (optionally) a receipt.

    The receipt is a PDF, PNG or JPEG (checked by content), stored in
    private storage and served only by a view that checks access.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="expenses")
    date = models.DateField()
    amount = models.DecimalField(max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    billable = models.BooleanField(default=True, help_text="Billed to the client (time and materials).")
    supplier = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    receipt = models.FileField(storage=private_storage, upload_to="receipts/%Y/%m/", max_length=300, blank=True)
    receipt_name = models.CharField(max_length=200, blank=True, help_text="The uploaded file's name.")
    receipt_content_type = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "pk"]
        indexes = [models.Index(fields=["project", "date"])]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="expense_positive")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.date} {self.supplier}: {self.amount} {self.currency}"


class Baseline(models.Model):
    """A snapshot of a project's budget and dates: what current figures are compared against.

    ``number`` counts from 1 per project; exactly one baseline per project is
    ``is_current``. ``lines`` is ``[{"category", "description", "amount"}]``
    and ``milestones`` is ``[{"name", "due_date", "weight"}]`` (money and
    weights as Decimal strings, dates ISO). A new baseline (e.g. from an
    approved change request, ``change_reference``) keeps the old ones.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    reason = models.CharField(max_length=300)
    change_reference = models.CharField(max_length=60, blank=True, help_text="E.g. the approved change request.")
    bac = models.DecimalField(max_digits=18, decimal_places=2)
    contingency_reserve = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    lines = models.JSONField(default=list)
    milestones = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_number_per_project"),
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(is_current=True), name="one_current_baseline_per_project"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} baseline {self.number}"


class ToleranceKind(models.TextChoices):
    COST = "cost", "Cost"
    TIME = "time", "Time"


class ExceptionState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed (back inside tolerance)"


class ToleranceException(models.Model):
    """A breach of a project's cost or time tolerance (PRINCE2 exception), raised once.

    At most one open exception per (project, kind), enforced by the
    database: recalculating with the same breach changes nothing. It closes
    when the forecast is back inside tolerance; a later breach is a new row.
    ``figures`` holds the metrics when it was raised (JSON, money as Decimal
    strings): ``tolerance``, ``actual`` (percent or days), ``bac``, ``eac``,
    ``vac``, ``cpi``, ``spi``, ``forecast_finish``, ``baseline_finish``, ``as_of``.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tolerance_exceptions")
    kind = models.CharField(max_length=10, choices=ToleranceKind.choices)
    state = models.CharField(max_length=10, choices=ExceptionState.choices, default=ExceptionState.OPEN)
    summary = models.CharField(max_length=300)
    figures = models.JSONField(default=dict)
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=models.Q(state="open"),
                name="one_open_exception_per_project_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_kind_display()} exception ({self.state})"

    @property
    def plan_state(self) -> str:
        """The state of its :class:`ExceptionPlan` (a ``PlanState`` value), or "" without one.

        Load the plan with the exception (``select_related("plan")``) where many are shown: a query each otherwise.
        """
        try:
            return str(self.plan.state)
        except ExceptionPlan.DoesNotExist:
            return ""


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ExceptionPlan(models.Model):
    """The PM's plan for a tolerance exception (PRINCE2 exception plan): options, a recommendation, a new forecast.

    One per exception. ``forecast_eac`` (money, the project's currency) is the
    new estimate at completion and ``forecast_finish`` the new forecast
    finish; a plan is submitted only with the one matching the exception's
    kind (``projects.budget.services.exception_plans``). A head of one of the
    project's departments approves or rejects a submitted plan; a rejected
    plan may be revised and submitted again (the audit trail keeps each round).
    """

    exception = models.OneToOneField(ToleranceException, on_delete=models.CASCADE, related_name="plan")
    options = models.TextField("options considered", blank=True)
    recommendation = models.TextField(blank=True)
    forecast_eac = models.DecimalField(
        "new forecast cost (EAC)",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    forecast_finish = models.DateField("new forecast finish", null=True, blank=True)
    state = models.CharField(max_length=10, choices=PlanState.choices, default=PlanState.DRAFT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(forecast_eac__isnull=True) | models.Q(forecast_eac__gte=0),
                name="exception_plan_forecast_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"Plan for {self.exception} ({self.state})"


class BudgetAlert(models.Model):
    """A budget threshold crossed: actual cost reached ``threshold`` percent of BAC. One per threshold."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_alerts")
    threshold = models.PositiveSmallIntegerField()
    actual_cost = models.DecimalField(max_digits=18, decimal_places=2)
    bac = models.DecimalField(max_digits=18, decimal_places=2)
    crossed_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "threshold"]
        constraints = [models.UniqueConstraint(fields=["project", "threshold"], name="one_alert_per_threshold")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.threshold}% of BAC spent"


class ContingencyState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ContingencyRequest(models.Model):
    """The PM asks to move ``amount`` from the contingency reserve into a budget line of ``category``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="contingency_requests")
    amount = models.DecimalField(max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=ContingencyState.choices, default=ContingencyState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project.code} contingency {self.amount} ({self.state})"


class BudgetEvent(models.Model):
    """The audit trail of a project's budget: who did what, when, with the figures (JSON)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project.code} {self.action} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        """``"line_added"`` -> ``"Line added"``."""
        return self.action.replace("_", " ").capitalize()


class ProjectFigures(models.Model):
    """A project's sums kept on write, so the pages that rate hundreds of projects read one row each instead of
    adding up their time, expenses and budget lines on every request.

    Written by ``projects.budget.figures`` whenever a time entry, expense,
    budget line or status update of the project changes, in the writer's
    transaction. The sums are those of ``projects.budget.selectors`` as of
    ``as_of`` (the day they were written): budget lines; the cost of the time
    logged, all of it and the approved part; expenses; the newest percent
    complete; and the forecast at completion they give with the project's
    BAC, cost basis and bottom-up estimate (``bac``, ``eac``, ``vac``, as
    ``evm.forecast_at_completion`` computes them). They hold for any later day before ``next_due``, the first date
    after ``as_of`` of a time entry, expense or percent complete of the
    project (None: none is dated later); on and after it, and before
    ``as_of``, the readers add up the rows themselves. ``rag_now``,
    ``rag_before`` and ``last_update`` (the newest two rated status updates'
    RAG, the newest update's date) hold whatever the day.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="figures")
    as_of = models.DateField()
    next_due = models.DateField(null=True, blank=True)
    lines_total = models.DecimalField(max_digits=20, decimal_places=2)
    time_cost = models.DecimalField(max_digits=20, decimal_places=2)
    approved_time_cost = models.DecimalField(max_digits=20, decimal_places=2)
    expense_cost = models.DecimalField(max_digits=20, decimal_places=2)
    pct_complete = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    rag_now = models.CharField(max_length=5, blank=True)
    rag_before = models.CharField(max_length=5, blank=True)
    last_update = models.DateField(null=True, blank=True)
    bac = models.DecimalField("BAC", max_digits=20, decimal_places=2)
    eac = models.DecimalField("EAC", max_digits=20, decimal_places=2)
    vac = models.DecimalField("VAC", max_digits=20, decimal_places=2)

    class Meta:
        verbose_name_plural = "project figures"

    def __str__(self) -> str:
        return f"Figures of project {self.project_id} as of {self.as_of}"
