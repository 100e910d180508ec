"""The roles of APM, apart from the models so that the access policy can be imported before the app registry."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """The five roles of APM (DESIGN.md, "Who uses it")."""

    ADMINISTRATOR = "administrator", "Administrator"
    DEPARTMENT_HEAD = "department_head", "Department head"
    PROJECT_MANAGER = "project_manager", "Project manager"
    TEAM_MEMBER = "team_member", "Team member"
    CLIENT_CONTACT = "client_contact", "Client contact"
