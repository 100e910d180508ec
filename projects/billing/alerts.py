"""Margin alerts: a project whose forecast margin falls below its client's target alerts its PM and the heads who
see its margin, once per breach (as tolerance exceptions are raised once): an open :class:`MarginAlert` while
below, closed once the forecast is back at or above the target; a later fall is a new breach.

Run with the budget check after every change of cost or time (``projects.budget.services.checks``) and after a
change of the project's billing.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from apm import access
from projects.billing.margin import project_margin
from projects.budget.services.events import budget_event_record
from projects.budget.services.notifications import budget_notify
from projects.models import MarginAlert, Project


def margin_check(*, project: Project, as_of: dt.date) -> MarginAlert | None:
    """Raise or close ``project``'s margin alert as of ``as_of``; the alert raised now (None when none was)."""
    figures = project_margin(project=project, as_of=as_of)
    now = timezone.now()
    open_alert = MarginAlert.objects.filter(project=project, closed_at__isnull=True).first()
    if not figures.below_target:
        if open_alert is not None and MarginAlert.objects.filter(pk=open_alert.pk, closed_at__isnull=True).update(
            closed_at=now
        ):
            budget_event_record(
                project=project,
                actor=None,
                action="margin_alert_closed",
                forecast_percent=figures.forecast.percent if figures.forecast is not None else None,
                target_percent=figures.target,
            )
        return None
    if open_alert is not None or figures.forecast is None or figures.target is None:
        return None
    forecast_percent = figures.forecast.percent
    if forecast_percent is None:
        return None
    try:
        with transaction.atomic():
            alert = MarginAlert.objects.create(
                project=project, target_percent=figures.target, forecast_percent=forecast_percent, raised_at=now
            )
    except IntegrityError:  # raised meanwhile by another check: one open alert per project
        return None
    budget_event_record(
        project=project,
        actor=None,
        action="margin_alert_raised",
        forecast_percent=forecast_percent,
        target_percent=figures.target,
    )
    budget_notify(
        project=project,
        template="margin-alert",
        context={"alert": alert, "figures": figures},
        capability=access.see_margin,
    )
    return alert
