"""The RAID log: risks, issues, assumptions and dependencies of a project.

One model for the four kinds (a PM reads them as one log); the fields that
belong to one kind are blank for the others. Risks: ``probability`` and
``impact`` 1-5, ``score`` = probability * impact (1-25). Issues: ``severity``;
a critical issue notifies the reporting heads at once and must be
acknowledged within ``ack_deadline`` or it escalates once
(``projects.raid.services``). Every change is kept (``history``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from projects.models.portfolio import Project


class RaidKind(models.TextChoices):
    RISK = "risk", "Risk"
    ISSUE = "issue", "Issue"
    ASSUMPTION = "assumption", "Assumption"
    DEPENDENCY = "dependency", "Dependency"


class RaidStatus(models.TextChoices):
    OPEN = "open", "Open"
    MONITORING = "monitoring", "Monitoring"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class RaidItem(models.Model):
    """One entry of a project's RAID log (``R-12``, ``I-13``, ``A-14``, ``D-15``: kind letter and id)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="raid_items")
    kind = models.CharField(max_length=12, choices=RaidKind.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RaidStatus.choices, default=RaidStatus.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField()
    due_date = models.DateField(null=True, blank=True, help_text="Review, validation or need-by date.")
    # Risks.
    probability = models.PositiveSmallIntegerField(null=True, blank=True, validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(null=True, blank=True, validators=ONE_TO_FIVE)
    mitigation = models.TextField(blank=True)
    contingency_plan = models.TextField(blank=True)
    trigger = models.TextField(blank=True)
    # Issues.
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    affects_client = models.BooleanField(default=False)
    client_message = models.TextField(
        "message to the client", blank=True, help_text="What the client is told, in client words."
    )
    client_notified_at = models.DateTimeField(null=True, blank=True)
    heads_notified_at = models.DateTimeField(null=True, blank=True)
    notified_to = models.JSONField(default=list, blank=True, help_text="Addresses told at raise.")
    ack_deadline = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.JSONField(default=list, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "kind", "-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(probability__isnull=True) | models.Q(probability__gte=1, probability__lte=5))
                & (models.Q(impact__isnull=True) | models.Q(impact__gte=1, impact__lte=5)),
                name="raid_probability_impact_1_5",
            )
        ]
        indexes = [
            models.Index(fields=["project", "kind", "status"]),
            models.Index(fields=["severity", "acknowledged_at", "ack_deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.kind[:1].upper()}-{self.pk}"

    @property
    def score(self) -> int | None:
        """Probability * impact (1-25) for a risk, else None."""
        if self.probability is None or self.impact is None:
            return None
        return self.probability * self.impact

    @property
    def is_critical(self) -> bool:
        return self.kind == RaidKind.ISSUE and self.severity == Severity.CRITICAL


class RaidSettings(models.Model):
    """Per-project RAID settings: hours a head has to acknowledge a critical issue."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="raid_settings")
    critical_ack_hours = models.PositiveIntegerField(
        default=4,
        validators=[MinValueValidator(1)],
        help_text="Hours before an unacknowledged critical issue escalates.",
    )

    class Meta:
        verbose_name_plural = "RAID settings"

    def __str__(self) -> str:
        return f"RAID settings of {self.project.code}"
