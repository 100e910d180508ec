"""Users and their role. What each role may see is decided in ``apm.access``."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    """The five roles of APM (DESIGN.md, "Who uses it")."""

    ADMINISTRATOR = "administrator", "Administrator"
    DEPARTMENT_HEAD = "department_head", "Department head"
    PROJECT_MANAGER = "project_manager", "Project manager"
    TEAM_MEMBER = "team_member", "Team member"
    CLIENT_CONTACT = "client_contact", "Client contact"


class User(AbstractUser):
    """A login. ``role`` decides the audience and the scope of what the user sees."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TEAM_MEMBER)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_administrator(self) -> bool:
        """True for the administrator role and for Django superusers."""
        return self.is_superuser or self.role == Role.ADMINISTRATOR

    @property
    def is_client(self) -> bool:
        """True for client contacts: they only ever see the client audience."""
        return self.role == Role.CLIENT_CONTACT and not self.is_superuser
