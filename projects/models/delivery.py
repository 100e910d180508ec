"""Deliverables: what the team hands to the client, its workflow, sign-off and schedule baselines.

A deliverable may be earned at a :class:`~projects.models.Milestone`: the
earned-value weight stays on the milestone (``Milestone.weight``, used by
``projects.budget.evm``), so there is one source of truth for EV. Dates are
plain dates; stamps (``signed_off_at``) are aware datetimes. ``percent_complete``
is 0-100. Every change is kept (django-simple-history, ``history``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apm.validators import web_url
from projects.models.budget import Baseline
from projects.models.portfolio import ClientContact, Milestone, Project


class DeliverableStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    IN_REVIEW = "in_review", "In review"
    AWAITING_SIGN_OFF = "awaiting_sign_off", "Awaiting client sign-off"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Deliverable(models.Model):
    """Something the project hands over, with acceptance criteria and a workflow (``status``).

    ``acceptance_criteria`` is a list of strings. ``depends_on`` are the
    deliverables that must be finished first. ``start_date``/``due_date`` are
    the current plan; the baseline dates live in :class:`DeliverableBaseline`
    rows, one per project :class:`~projects.models.Baseline`. Sign-off fields
    are written once, by ``deliverable_sign_off``: who (user and client
    contact), when and the comment.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deliverables")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_deliverables"
    )
    milestone = models.ForeignKey(
        Milestone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliverables",
        help_text="The milestone this deliverable is earned at (its earned-value weight is the milestone's).",
    )
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=DeliverableStatus.choices, default=DeliverableStatus.NOT_STARTED)
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="0-100."
    )
    acceptance_criteria = models.JSONField(default=list, blank=True, help_text="A list of criteria, one per item.")
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependents")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_contact = models.ForeignKey(
        ClientContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_offs"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_comment = models.TextField(blank=True)
    # What the client reviews before signing off: a document of the register (the client sees it only when it
    # is shared with them) and/or a link (a staging site, a shared folder).
    review_document = models.ForeignKey(
        "projects.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The document the client reviews before signing off; share it with the client.",
    )
    review_link = models.URLField(
        blank=True,
        max_length=500,
        validators=[web_url],
        help_text="Where the client sees the deliverable (an http or https address).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["project", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent_complete__gte=0, percent_complete__lte=100),
                name="deliverable_percent_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True) | models.Q(start_date__lte=models.F("due_date")),
                name="deliverable_dates_not_reversed",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def reference(self) -> str:
        return f"D-{self.pk}"


class DeliverableBaseline(models.Model):
    """A deliverable's dates as set in one project baseline (the Gantt's grey bars); never edited."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="deliverable_dates")
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="baselines")
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField()

    class Meta:
        ordering = ["baseline", "due_date"]
        constraints = [
            models.UniqueConstraint(fields=["baseline", "deliverable"], name="one_baseline_date_per_deliverable")
        ]

    def __str__(self) -> str:
        return f"{self.deliverable} in baseline {self.baseline.number}"


class SignOffOverride(models.Model):
    """An administrator sent a deliverable to client sign-off with non-conformances open: who, when, why.

    ``open_non_conformances`` lists the ids and titles that were open.
    """

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="overrides")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField()
    open_non_conformances = models.JSONField(default=list)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Override on {self.deliverable} by {self.by} at {self.at:%Y-%m-%d %H:%M}"
