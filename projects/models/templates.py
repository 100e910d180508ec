"""Project templates: a project's plan kept to start new projects from.

A template's ``content`` is a plain JSON document (its ``version`` key names
the layout; ``projects.project_templates`` writes and reads it): the
deliverables, tasks (with their dependencies), RAID starters, quality
standards, budget lines and clauses of a project, with every date held as a
number of days from the project's start, so that a new project from it
starts on any date. ``source_project`` is the project it was saved from
(blank for one written by an administrator, or once that project is gone);
``created_by`` who saved it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from projects.models.portfolio import Project


class ProjectTemplate(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    content = models.JSONField(default=dict, blank=True)
    source_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="templates_saved"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "pk"]
        constraints = [models.UniqueConstraint(Lower("name"), name="project_template_name_unique")]

    def __str__(self) -> str:
        return self.name
