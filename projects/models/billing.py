"""The money loop: how a project bills (time and materials, fixed price, retainer), bill rates (rate cards),
billing milestones, margin alerts, exchange rates, timesheet reminders and running timers.

Bill rates are internal money like cost rates: none of these figures may reach
a client page, client report or client export. A rate, like a cost rate, has
validity dates, and the rate used for an entry is stored on the entry, so a
change never rewrites the past.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from projects.models.delivery import Deliverable
from projects.models.portfolio import Client, Project
from teams.models import JobRole, TeamMember

ZERO = Decimal("0")


class BillingModel(models.TextChoices):
    TIME_AND_MATERIALS = "tm", "Time and materials"
    FIXED_PRICE = "fixed", "Fixed price"
    RETAINER = "retainer", "Retainer"


class Recognition(models.TextChoices):
    """When a fixed-price project's revenue is recognised."""

    MILESTONES = "milestones", "As billing milestones fall due"
    PERCENT_COMPLETE = "percent", "By percent complete"


class ProjectBilling(models.Model):
    """How a project earns its revenue.

    * Time and materials: approved billable hours at their bill rates, plus
      billable expenses marked up by ``expense_markup_percent``;
      ``contract_value`` is the agreed not-to-exceed amount (None: the budget).
    * Fixed price: ``contract_value`` is the price; billing milestones
      (:class:`BillingMilestone`) fall due on a date or when a deliverable is
      accepted; revenue is recognised per milestone due or by percent
      complete (``recognition``).
    * Retainer: ``retainer_fee`` a month covers ``retainer_hours``; unused
      hours roll over for at most ``rollover_months`` months, then expire;
      hours beyond are overage at ``overage_rate`` an hour.

    Money in the project's currency.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="billing")
    model = models.CharField(
        "billing model", max_length=10, choices=BillingModel.choices, default=BillingModel.TIME_AND_MATERIALS
    )
    contract_value = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="Fixed price: the price. Time and materials: the not-to-exceed amount (empty: the budget).",
    )
    expense_markup_percent = models.DecimalField(
        "expense markup (%)", max_digits=5, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    recognition = models.CharField(
        "revenue recognised", max_length=10, choices=Recognition.choices, default=Recognition.MILESTONES
    )
    retainer_fee = models.DecimalField(
        "monthly fee", max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    retainer_hours = models.DecimalField(
        "hours a month", max_digits=7, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    rollover_months = models.PositiveSmallIntegerField(
        "unused hours roll over for (months)", default=0, help_text="0: unused hours expire at the month's end."
    )
    overage_rate = models.DecimalField(
        "overage rate per hour",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(expense_markup_percent__gte=0), name="expense_markup_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.get_model_display()}"


class BillingMilestone(models.Model):
    """An amount of a fixed-price project that falls due on ``due_on`` or when ``deliverable`` is accepted
    (whichever is set; a deliverable wins when both are)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="billing_milestones")
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    deliverable = models.ForeignKey(
        Deliverable, null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_milestones"
    )
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["project", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_milestone_positive"),
            models.CheckConstraint(
                condition=Q(deliverable__isnull=False) | Q(due_on__isnull=False), name="billing_milestone_falls_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.name}: {self.amount}"


class MarginAlert(models.Model):
    """A project's forecast margin fell below its client's target: one open alert per breach (``closed_at`` set
    once the forecast is back at or above the target; a later fall is a new breach)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="margin_alerts")
    target_percent = models.DecimalField(max_digits=5, decimal_places=2)
    forecast_percent = models.DecimalField(max_digits=7, decimal_places=2)
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(closed_at__isnull=True), name="one_open_margin_alert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code}: margin {self.forecast_percent}% under {self.target_percent}%"


class BillRate(models.Model):
    """What an hour of ``job_role`` is billed at, in ``currency``, from ``valid_from`` to ``valid_to``.

    Without ``client`` or ``project`` it is the role's rate card; with one of
    them, an override for that client's projects or for that project alone
    (never both). A role may have a card in several currencies: an entry takes
    the one in its project's currency. The rate used for an entry is the most
    specific valid on its date: project override, else client override, else
    the role's card, else the person's own bill rate (``teams.MemberRate``).
    """

    job_role = models.ForeignKey(JobRole, on_delete=models.CASCADE, related_name="bill_rates")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="bill_rates")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="bill_rates")
    rate = models.DecimalField(
        "bill rate per hour", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Empty: still valid.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_role__title", "currency", "-valid_from"]
        indexes = [models.Index(fields=["job_role", "currency", "valid_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="bill_rate_positive"),
            models.CheckConstraint(
                condition=Q(client__isnull=True) | Q(project__isnull=True), name="bill_rate_client_or_project"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="bill_rate_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        scope = self.project or self.client or "card"
        return f"{self.job_role} ({scope}): {self.rate} {self.currency}/h from {self.valid_from}"


class ExchangeRate(models.Model):
    """How many units of ``currency`` one euro bought on ``date`` (the European Central Bank's reference rates
    quote every currency against EUR; a cross rate goes through EUR). ``source`` says where it came from."""

    date = models.DateField()
    currency = models.CharField(max_length=3)
    rate = models.DecimalField("units per EUR", max_digits=18, decimal_places=6, validators=[MinValueValidator(0)])
    source = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["date", "currency"], name="one_exchange_rate_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 EUR = {self.rate} {self.currency} on {self.date}"


class TimesheetReminderKind(models.TextChoices):
    MISSING = "missing", "Week not submitted"
    UNAPPROVED = "unapproved", "Week waiting for approval"


class TimesheetReminder(models.Model):
    """One timesheet reminder sent about ``member``'s week (its Monday): (member, week, kind) is unique, so a
    person's week is reminded once, whatever the number of runs."""

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    kind = models.CharField(max_length=10, choices=TimesheetReminderKind.choices)
    sent_to = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "week_start", "kind"], name="one_timesheet_reminder_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.member} week of {self.week_start}"


class TimeTimer(models.Model):
    """A timer running for ``member`` on ``project`` since ``started_at``: stopping it adds the time to today's
    entry. One at a time per person."""

    member = models.OneToOneField(TeamMember, on_delete=models.CASCADE, related_name="timer")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.member} on {self.project.code} since {self.started_at:%H:%M}"
