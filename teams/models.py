"""Departments and people. ``teams`` knows nothing of projects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper


class Department(models.Model):
    """An internal department (e.g. ``MOD``). ``heads`` receive its portfolio reports.

    ``code`` is stored upper-case so that ``DfT`` and ``DFT`` are one department.
    """

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    heads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="headed_departments")

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(Upper("code"), name="department_code_ci_unique")]

    def __str__(self) -> str:
        return self.code if self.name == self.code else f"{self.code} — {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class TeamMember(models.Model):
    """A person who works on projects; ``user`` is their login when they have one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_member"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberRate(models.Model):
    """A person's hourly cost and bill rates from ``valid_from`` (inclusive) to ``valid_to`` (inclusive).

    Money is Decimal per hour in ``currency``. History is kept: a new rate is a
    new row, so costs of past time entries, taken at the rate valid on their
    date, never change. Periods of one person must not overlap
    (``teams.services.member_rate_set`` closes the previous one).
    """

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="rates")
    cost_rate = models.DecimalField("cost rate per hour", max_digits=10, decimal_places=2)
    bill_rate = models.DecimalField("bill rate per hour", max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="GBP")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Empty: still valid.")

    class Meta:
        ordering = ["member", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["member", "valid_from"], name="one_rate_per_member_and_start"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="rate_period_not_reversed",
            ),
            models.CheckConstraint(
                condition=models.Q(cost_rate__gte=0) & models.Q(bill_rate__gte=0), name="rates_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.cost_rate}/{self.bill_rate} {self.currency} from {self.valid_from}"
