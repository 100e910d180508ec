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
