"""Celery tasks of the projects app. Thin: each calls the service of the same name."""

from __future__ import annotations

from celery import shared_task

from projects.correspondence.reminders import reminders_send
from projects.raid.services import raid_escalate_overdue


@shared_task(name="projects.tasks.escalate_critical_issues", ignore_result=True)
def escalate_critical_issues() -> int:
    """Escalate critical issues not acknowledged in time (each once); beat runs it every 5 minutes."""
    return raid_escalate_overdue()


@shared_task(name="projects.tasks.send_document_reminders", ignore_result=True)
def send_document_reminders() -> int:
    """Remind PMs of overdue replies and expiring documents (each once); beat runs it hourly."""
    return reminders_send()
