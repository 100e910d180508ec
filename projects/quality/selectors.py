"""Reads of quality: the criteria that apply to a project, its open non-conformances and their age."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from projects.models import NonConformance, NonConformanceStatus, Project, QualityCriterion


def applicable_criteria(*, project: Project) -> list[QualityCriterion]:
    """Every criterion of the standards that apply to ``project``, by standard and order (one query)."""
    return list(
        QualityCriterion.objects.filter(standard__projects=project)
        .select_related("standard")
        .order_by("standard__client_id", "standard__name", "order", "pk")
    )


def open_non_conformances(*, project: Project) -> QuerySet[NonConformance]:
    """Non-conformances of ``project`` not yet closed, oldest first, with their deliverable and owner."""
    return (
        NonConformance.objects.filter(deliverable__project=project)
        .exclude(status=NonConformanceStatus.CLOSED)
        .select_related("deliverable", "action_owner")
        .order_by("opened_at", "pk")
    )


def age_days(opened_at: dt.datetime, today: dt.date) -> int:
    """Whole days from ``opened_at`` (aware) to ``today`` in the current time zone."""
    return (today - timezone.localdate(opened_at)).days
