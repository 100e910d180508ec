"""Clients, projects, status updates and milestones."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apm.converters import RESERVED_PROJECT_CODES, code_validator
from projects.rag import RAG
from teams.models import Department, TeamMember

CURRENCY_CHOICES = [("GBP", "GBP £"), ("EUR", "EUR €"), ("USD", "USD $"), ("CHF", "CHF"), ("JPY", "JPY ¥")]


def validate_not_reserved_project_code(value: str) -> None:
    """Refuse codes that are fixed words in project URLs (``new``, ``time``, ``departments``)."""
    if value.lower() in RESERVED_PROJECT_CODES:
        raise ValidationError(f"“{value}” is reserved in APM's addresses; choose another code.")


class Client(models.Model):
    """A client account: the organisation a project is delivered for.

    Its billing details are what an invoice addresses: ``legal_name`` (blank:
    ``name``), ``billing_address`` (lines), ``tax_id`` (their VAT or tax
    number, when they have one), ``invoice_currency`` (every line is
    converted into it) and ``payment_terms_days`` (an invoice falls due that
    many days after its issue date). An issued invoice keeps its own copy of
    them, so a change here never rewrites it.
    """

    name = models.CharField(max_length=200, unique=True)
    margin_target_percent = models.DecimalField(
        "margin target (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The account's lowest acceptable margin; a project forecast below it alerts its PM and heads.",
    )
    legal_name = models.CharField(max_length=200, blank=True, help_text="As invoices name it; empty: the name.")
    billing_address = models.TextField(blank=True, help_text="Where invoices are addressed, one line per line.")
    tax_id = models.CharField("tax identifier", max_length=40, blank=True, help_text="Their VAT or tax number.")
    invoice_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="GBP")
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (days)",
        default=30,
        validators=[MaxValueValidator(365)],
        help_text="An invoice falls due this many days after it is issued.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def invoiced_as(self) -> str:
        """The name invoices address: the legal name, else the name."""
        return self.legal_name.strip() or self.name


class ClientContact(models.Model):
    """A person at the client. ``opted_in_reports`` contacts receive client-audience reports; ``billing_contact``
    contacts its invoices and credit notes."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="client_contact"
    )
    opted_in_reports = models.BooleanField("opted in to reports", default=False)
    billing_contact = models.BooleanField(default=False, help_text="Receives the client's invoices and credit notes.")

    class Meta:
        ordering = ["client__name", "name"]
        constraints = [models.UniqueConstraint(fields=["client", "email"], name="client_contact_email_unique")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.client})"


class ProjectStatus(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


class Project(models.Model):
    """A project run for a client across one or more departments.

    ``bac`` is the budget at completion in ``currency`` (Decimal, major units,
    e.g. pounds). ``rag`` is the current RAG (the latest status update's).
    ``reference`` is an external identifier such as a GMPP project number.
    """

    code = models.CharField(
        max_length=40,
        unique=True,
        validators=[code_validator, validate_not_reserved_project_code],
        help_text="Letters, digits, '_', '.' or '-'; it is the project's address in APM.",
    )
    name = models.CharField(max_length=300)
    reference = models.CharField(max_length=60, unique=True, null=True, blank=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="projects")
    departments = models.ManyToManyField(Department, related_name="projects", blank=True)
    reporting_heads = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="reported_projects", blank=True)
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
    )
    team_members = models.ManyToManyField(TeamMember, related_name="projects", blank=True)
    category = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    bac = models.DecimalField(
        "budget at completion (BAC)",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="GBP")
    status = models.CharField(max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    rag = models.CharField("RAG", max_length=5, choices=RAG.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["rag"]), models.Index(fields=["category"])]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class RatingSource(models.TextChoices):
    IPA = "ipa", "IPA Delivery Confidence Assessment"
    SRO = "sro", "SRO's own assessment"


class StatusUpdate(models.Model):
    """A project's status as of a date: the rating as published, its RAG, and commentary.

    Money fields are in the project's currency, major units. ``withheld``
    maps a field name to the text published instead of a value (e.g. an FOI
    exemption). ``percent_complete`` is 0-100. ``rating_source`` says whose
    assessment ``rating_published`` is (blank when not known or no rating).

    The PM's weekly update adds five more RAG ratings (``rag`` is the overall
    one; ``rag_time``, ``rag_cost``, ``rag_scope``, ``rag_quality``,
    ``rag_risk``), the narrative (``work_done``, ``work_planned``,
    ``decisions_needed`` and ``risks_issues`` one item per line,
    ``lessons_learned``) and its ``author``.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_updates")
    as_of = models.DateField()
    period_label = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=60, blank=True, help_text="Where it came from, e.g. gmpp-2021.")
    source_key = models.CharField(
        max_length=400,
        blank=True,
        db_index=True,
        help_text="How the source named the project in this update (GMPP: department codes and normalised name); "
        "an import finds the same project again by it.",
    )
    rating_published = models.CharField(max_length=40, blank=True)
    rating_note = models.TextField(blank=True, help_text="Text published instead of a rating.")
    rating_source = models.CharField(
        max_length=10,
        choices=RatingSource.choices,
        blank=True,
        help_text="Whose assessment the published rating is (GMPP 2022 publishes the IPA's or the SRO's).",
    )
    rag = models.CharField("RAG", max_length=5, choices=RAG.choices, blank=True)
    commentary_overall = models.TextField(blank=True)
    commentary_schedule = models.TextField(blank=True)
    commentary_budget = models.TextField(blank=True)
    budget_period = models.DecimalField("budget for the period", max_digits=18, decimal_places=2, null=True, blank=True)
    forecast_period = models.DecimalField(
        "forecast for the period", max_digits=18, decimal_places=2, null=True, blank=True
    )
    whole_life_cost = models.DecimalField(
        "whole-life cost baseline", max_digits=18, decimal_places=2, null=True, blank=True
    )
    percent_complete = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    withheld = models.JSONField(default=dict, blank=True)
    # The PM's weekly update rates each aspect too; ``rag`` above stays the overall RAG.
    rag_time = models.CharField("time RAG", max_length=5, choices=RAG.choices, blank=True)
    rag_cost = models.CharField("cost RAG", max_length=5, choices=RAG.choices, blank=True)
    rag_scope = models.CharField("scope RAG", max_length=5, choices=RAG.choices, blank=True)
    rag_quality = models.CharField("quality RAG", max_length=5, choices=RAG.choices, blank=True)
    rag_risk = models.CharField("risk RAG", max_length=5, choices=RAG.choices, blank=True)
    work_done = models.TextField("work done this period", blank=True)
    work_planned = models.TextField("work planned next period", blank=True)
    decisions_needed = models.TextField(
        "decisions needed", blank=True, help_text="From the client or management, one per line."
    )
    lessons_learned = models.TextField(blank=True)
    risks_issues = models.TextField("key risks and issues", blank=True, help_text="One per line.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="status_updates"
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-as_of"]
        get_latest_by = "as_of"
        constraints = [models.UniqueConstraint(fields=["project", "as_of"], name="status_update_per_date")]

    def __str__(self) -> str:
        return f"{self.project.code} as of {self.as_of}: {self.rating_published or '—'}"

    @property
    def variance_period(self) -> Decimal | None:
        """Forecast minus budget for the period (positive = overspend), or None."""
        if self.budget_period is None or self.forecast_period is None:
            return None
        return self.forecast_period - self.budget_period


class Milestone(models.Model):
    """A dated point in a project's plan."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=300)
    due_date = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    weight = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Share of the planned value earned at this milestone (relative; 0 = not weighted). "
        "With no weighted milestones planned value runs linearly over the project's dates.",
    )

    class Meta:
        ordering = ["project", "due_date"]

    def __str__(self) -> str:
        return self.name
