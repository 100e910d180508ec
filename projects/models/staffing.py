"""Staffing: a project's open roles (skills needed, hours per week, dates) and allocations of people."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from projects.models.portfolio import Project
from teams.models import JobRole, Level, Skill, TeamMember


def _hours_per_week() -> models.DecimalField[Decimal | int | str, Decimal]:
    """A role's or a booking's hours a week: from a quarter of an hour to all 168."""
    return models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("168"))],
    )


class OpenRoleStatus(models.TextChoices):
    OPEN = "open", "Open"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


class OpenRole(models.Model):
    """A place on a project's team to fill: ``hours_per_week`` hours per week from ``start_date``
    to ``end_date`` (inclusive), needing the skills in ``requirements`` at a minimum level each."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="open_roles")
    title = models.CharField(max_length=200)
    job_role = models.ForeignKey(JobRole, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hours_per_week = _hours_per_week()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=OpenRoleStatus.choices, default=OpenRoleStatus.OPEN)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "start_date", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="role_not_reversed"),
            models.CheckConstraint(condition=models.Q(hours_per_week__gt=0), name="role_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.project.code})" if self.project_id else self.title


class OpenRoleSkill(models.Model):
    """A skill an open role needs, at ``min_level`` (1-5) or better."""

    role = models.ForeignKey(OpenRole, on_delete=models.CASCADE, related_name="requirements")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField("minimum level", choices=Level.choices, default=Level.COMPETENT)

    class Meta:
        ordering = ["role", "-min_level", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["role", "skill"], name="one_requirement_per_role_and_skill"),
            models.CheckConstraint(condition=models.Q(min_level__gte=1, min_level__lte=5), name="min_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ≥{self.min_level}"


class AllocationStatus(models.TextChoices):
    TENTATIVE = "tentative", "Tentative"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


#: The statuses of a booking that stands (counts in capacity, utilisation and a role's cover).
BOOKED = (AllocationStatus.TENTATIVE, AllocationStatus.CONFIRMED)


class AllocationQuerySet(models.QuerySet["Allocation"]):
    def live(self) -> AllocationQuerySet:
        """Bookings that stand (confirmed or tentative): cancelled ones are kept as history only."""
        return self.filter(status__in=BOOKED)


class Allocation(models.Model):
    """A person booked onto a project for ``hours_per_week`` hours per week from ``start_date``
    to ``end_date`` (inclusive), in ``role_title`` (and for ``open_role`` when it fills one).

    Only confirmed allocations reduce a person's free hours; tentative ones are shown apart.
    A cancelled one (``cancelled_at``, ``cancelled_by``) is kept as history and counts nowhere:
    every read of capacity, utilisation or a role's cover goes through ``Allocation.objects.live()``.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="allocations")
    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="allocations")
    open_role = models.ForeignKey(
        OpenRole, null=True, blank=True, on_delete=models.SET_NULL, related_name="allocations"
    )
    role_title = models.CharField("role", max_length=200, blank=True)
    hours_per_week = _hours_per_week()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.CONFIRMED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = AllocationQuerySet.as_manager()

    class Meta:
        ordering = ["project", "start_date", "member__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="allocation_not_reversed"
            ),
            models.CheckConstraint(condition=models.Q(hours_per_week__gt=0), name="allocation_hours_positive"),
            models.CheckConstraint(
                condition=models.Q(status="cancelled") | models.Q(cancelled_at__isnull=True),
                name="allocation_cancelled_at_only_when_cancelled",
            ),
        ]
        indexes = [models.Index(fields=["member", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.member} on {self.project.code}: {self.hours_per_week} h/week"

    @property
    def confirmed(self) -> bool:
        return self.status == AllocationStatus.CONFIRMED

    @property
    def cancelled(self) -> bool:
        return self.status == AllocationStatus.CANCELLED
