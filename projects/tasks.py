"""Celery tasks of the projects app. Thin: each calls the service of the same name."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from projects.budget import figures
from projects.budget.services.reminders import timesheet_reminders_send
from projects.correspondence.reminders import reminders_send
from projects.documents.recurring import obligations_repeat_due
from projects.importers.jobs import job_run, jobs_sweep
from projects.notifications.digest import digests_send
from projects.notifications.producers import work_due_notify
from projects.planning.recurring import tasks_repeat_due
from projects.raid.services import raid_escalate_overdue


@shared_task(name="projects.tasks.escalate_critical_issues", ignore_result=True)
def escalate_critical_issues() -> int:
    """Escalate critical issues not acknowledged in time (each once); beat runs it every 5 minutes."""
    return raid_escalate_overdue()


@shared_task(name="projects.tasks.send_document_reminders", ignore_result=True)
def send_document_reminders() -> int:
    """Remind PMs of overdue replies and expiring documents (each once); beat runs it hourly."""
    return reminders_send()


@shared_task(name="projects.tasks.send_timesheet_reminders", ignore_result=True)
def send_timesheet_reminders() -> int:
    """Remind people of weeks not submitted and approvers of weeks waiting (each once); beat runs it hourly."""
    return timesheet_reminders_send()


@shared_task(name="projects.tasks.refresh_project_figures", ignore_result=True)
def refresh_project_figures() -> int:
    """Write the kept figures of projects whose row's day has come (time, an expense or a percent complete dated
    then) or that have none (``projects.budget.figures.refresh_due``); beat runs it hourly. Returns how many."""
    return figures.refresh_due()


@shared_task(
    name="projects.tasks.run_import_job",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def run_import_job(job_id: int) -> str | None:
    """Check or import an uploaded file (``projects.importers.jobs.job_run``)."""
    job = job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="projects.tasks.sweep_import_jobs", ignore_result=True)
def sweep_import_jobs() -> int:
    """Publish again the import jobs a lost message or a dead worker left behind."""
    return jobs_sweep()


@shared_task(name="projects.tasks.repeat_due_work", ignore_result=True)
def repeat_due_work() -> dict[str, int]:
    """Make the next occurrence of repeating tasks that fell due, and end the periods of repeating obligations
    whose deadline passed (each once: a second run, or two at once, make nothing more); beat runs it hourly, so
    work falling due at midnight is repeated in the first hour and a failed one is tried again the next."""
    return {"tasks": tasks_repeat_due(), "obligations": obligations_repeat_due()}


@shared_task(name="projects.tasks.send_notification_digests", ignore_result=True)
def send_notification_digests() -> int:
    """Send each person's daily digest of notifications once (``projects.notifications.digest.digests_send``);
    beat runs it hourly. Returns how many were sent."""
    return digests_send()


@shared_task(name="projects.tasks.notify_work_due", ignore_result=True)
def notify_work_due() -> int:
    """Tell assignees of tasks due tomorrow and overdue, each once (``projects.notifications.producers``);
    beat runs it hourly. Returns how many notifications were created."""
    return work_due_notify()
