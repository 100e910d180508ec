"""Imports in the browser: saved mappings (presets) and import jobs (an uploaded file, checked, then imported)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from projects.models.budget import private_storage


class ImportMapping(models.Model):
    """A named mapping preset: the JSON of ``projects.importers.mapping.Mapping.to_dict`` (read back by
    ``projects.importers.presets.preset_mapping``)."""

    name = models.CharField(max_length=100)
    data = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="import_mapping_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class ImportPhase(models.TextChoices):
    MAP = "map", "Mapping the columns"
    CHECK = "check", "Checking every row"
    IMPORT = "import", "Importing"


class ImportJobStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for you"
    QUEUED = "queued", "Queued"
    WORKING = "working", "Working"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One file imported in the browser: uploaded, mapped, checked (a dry run), then imported on confirmation.

    ``phase`` is the step, ``status`` where that step stands: ``waiting`` for the user (to map, or to
    confirm a finished check), ``queued`` and ``working`` in a worker, ``finished``, ``failed`` (after
    ``settings.APM_MAX_TRIES`` tries, ``last_error`` says why). ``result`` is the last run's summary
    (``projects.importers.jobs.summary_result``).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    original_name = models.CharField(max_length=255)
    file = models.FileField(storage=private_storage, upload_to="imports/%Y/%m/", max_length=300)
    size = models.PositiveBigIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True)
    phase = models.CharField(max_length=10, choices=ImportPhase.choices, default=ImportPhase.MAP)
    status = models.CharField(max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.WAITING)
    tries = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    result: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_phase_display()}: {self.get_status_display()})"
