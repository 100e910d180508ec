"""Quality standards, quality reviews, non-conformances and corrective actions.

A :class:`QualityStandard` is a named, versioned checklist: company-wide
(``client`` empty) or for one client. A new version is a new row with the
same ``name`` and ``client`` and ``version`` + 1, so reviews keep pointing
at the criteria they were checked against. A project states which standards
apply (``QualityStandard.projects``).

A :class:`QualityReview` checks a deliverable against every applicable
standard: one :class:`ReviewCheck` per criterion (passed, failed or not
applicable) with a note and evidence (a private file or an http(s) link). Each failed
check opens a :class:`NonConformance` with a corrective action (owner, due
date); it is closed when verified. Every change is kept (``history``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from apm.validators import web_url
from projects.models.budget import private_storage
from projects.models.delivery import Deliverable
from projects.models.portfolio import Client, Project


class QualityStandard(models.Model):
    """A named, versioned checklist of criteria; company-wide when ``client`` is empty."""

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quality_standards",
        help_text="Empty: a company-wide standard.",
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive versions are kept for old reviews.")
    projects = models.ManyToManyField(Project, related_name="quality_standards", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client__name", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "client", "version"], name="standard_version_unique"),
            models.UniqueConstraint(
                fields=["name", "version"], condition=models.Q(client__isnull=True), name="company_standard_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def scope_label(self) -> str:
        return self.client.name if self.client is not None else "Company-wide"


class QualityCriterion(models.Model):
    """One line of a standard's checklist."""

    standard = models.ForeignKey(QualityStandard, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=500)
    guidance = models.TextField(blank=True)

    class Meta:
        ordering = ["standard", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class ReviewOutcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class QualityReview(models.Model):
    """A reviewer's check of a deliverable against the project's standards, completed at ``completed_at``.

    ``outcome`` is failed when any check failed; ``pass_rate`` (0-100) counts
    passed checks among those that apply (not-applicable ones left out).
    """

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices)
    summary = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_at", "-pk"]
        indexes = [models.Index(fields=["completed_at"])]

    def __str__(self) -> str:
        return f"Review of {self.deliverable} on {self.completed_at:%Y-%m-%d}"


class CheckResult(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    NOT_APPLICABLE = "na", "Not applicable"


class ReviewCheck(models.Model):
    """One criterion checked in a review: result, note and evidence (private file and/or link)."""

    review = models.ForeignKey(QualityReview, on_delete=models.CASCADE, related_name="checks")
    criterion = models.ForeignKey(QualityCriterion, on_delete=models.PROTECT, related_name="checks")
    result = models.CharField(max_length=10, choices=CheckResult.choices)
    note = models.TextField(blank=True)
    evidence_link = models.URLField(blank=True, max_length=500, validators=[web_url])
    evidence_file = models.FileField(upload_to="evidence/%Y/%m/", storage=private_storage, blank=True, max_length=300)
    evidence_name = models.CharField(max_length=200, blank=True, help_text="The uploaded file's own name.")
    evidence_content_type = models.CharField(max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "criterion__standard__name", "criterion__order", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="one_check_per_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_result_display()}"


class NonConformanceStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACTION_DONE = "action_done", "Corrective action done, awaiting verification"
    CLOSED = "closed", "Closed (verified)"


class NonConformance(models.Model):
    """A failed criterion on a deliverable and its corrective action (owner, due date), closed when verified.

    While one is not ``closed`` the deliverable cannot go to client sign-off
    (an administrator may override with a recorded reason).
    """

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="non_conformances")
    review_check = models.OneToOneField(
        ReviewCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="non_conformance"
    )
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=NonConformanceStatus.choices, default=NonConformanceStatus.OPEN)
    opened_at = models.DateTimeField()
    action_done_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["deliverable", "status"])]

    def __str__(self) -> str:
        return f"NC-{self.pk}: {self.title}"

    @property
    def reference(self) -> str:
        return f"NC-{self.pk}"
