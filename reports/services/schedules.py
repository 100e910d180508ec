"""Report schedules: saving, pausing and resuming them, and the dispatcher that turns due ones into reports.

:func:`reports_dispatch_due` claims each due schedule with a conditional
UPDATE (healthchecks' ``sendreports``: filter on id *and* the old
``next_run_at``; proceed only when exactly one row changed) and writes one
queued :class:`~reports.models.Report` per occurrence (a unique constraint
makes a second write a no-op), publishing the render task after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TypedDict

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from apm import access, queueing, validation
from apm.accounts.models import AuditKind, User
from apm.accounts.services import audit_record
from apm.errors import Refused
from apm.logs import log_ids
from apm.outbox.services import email_render, outbox_enqueue
from reports import schedule as occurrences
from reports.models import Audience, Report, ReportSchedule, ReportStatus
from reports.selectors import client_addresses, is_address, schedule_paused_recipients
from reports.services.requests import (
    check_recipients,
    check_sender,
    check_subject,
    clean_addresses,
    subject_name,
    subject_of,
)
from reports.task_names import RENDER_REPORT

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")


class ScheduleRule(TypedDict):
    """A schedule's rule: the keyword arguments of ``reports.schedule``'s functions (meanings there)."""

    frequency: str
    weekdays: list[int]
    day_of_month: int
    local_time: dt.time
    time_zone: str


def schedule_rule(schedule: ReportSchedule) -> ScheduleRule:
    """The schedule's rule as the keyword arguments of ``reports.schedule``'s functions."""
    return {
        "frequency": schedule.frequency,
        "weekdays": schedule.weekdays,
        "day_of_month": schedule.day_of_month,
        "local_time": schedule.local_time,
        "time_zone": schedule.time_zone,
    }


def schedule_activate(*, schedule: ReportSchedule, now: dt.datetime) -> ReportSchedule:
    """Set ``schedule.next_run_at`` to its first occurrence after ``now`` (None when inactive).

    Call it whenever a schedule is created, edited or resumed. Saves only
    ``next_run_at``. Raises ``ValueError`` when the rule is invalid (see
    :func:`reports.schedule.next_occurrence`).
    """
    schedule.next_run_at = (
        occurrences.next_occurrence(**schedule_rule(schedule), after=now) if schedule.active else None
    )
    schedule.save(update_fields=["next_run_at"])
    return schedule


def schedule_save(*, schedule: ReportSchedule, user: User, now: dt.datetime) -> ReportSchedule:
    """Save ``schedule`` (new or edited) with ``user`` as its owner, and set its next run.

    Its kind must declare its scope and audience and be one that is
    scheduled (``check_subject``); ``user`` must be allowed to send its
    audience about its scope, and every extra address of an internal
    schedule allowed to receive it; raises :class:`Refused` otherwise, and
    for a value the model refuses (``apm.validation``: a name over 200
    characters, an unknown time zone), saving nothing. Saving clears a pause
    reason (the new owner vouches for it). Raises ``ValueError`` for an
    invalid rule (the form has checked it, so that is a bug).
    """
    subject = subject_of(schedule)
    check_subject(kind=schedule.kind, audience=schedule.audience, subject=subject)
    check_sender(user=user, audience=schedule.audience, subject=subject)
    check_recipients(
        addresses=clean_addresses(schedule.extra_recipients.splitlines()), audience=schedule.audience, subject=subject
    )
    with transaction.atomic():
        schedule.created_by = user
        schedule.paused_reason, schedule.paused_at = "", None
        validation.clean(schedule)
        schedule.save()
        schedule_activate(schedule=schedule, now=now)
    return schedule


def schedule_toggle(*, schedule: ReportSchedule, user: User, now: dt.datetime) -> ReportSchedule:
    """Pause a running schedule, or resume a paused one from ``now`` (no burst of missed reports).

    Resuming makes ``user`` the owner, after the same checks as
    :func:`schedule_save` (raises :class:`Refused` when they fail, changing nothing).
    """
    if schedule.active:
        schedule.active = False
        with transaction.atomic():
            schedule.save(update_fields=["active"])
            schedule_activate(schedule=schedule, now=now)
        return schedule
    schedule.active = True
    try:
        return schedule_save(schedule=schedule, user=user, now=now)
    except Refused:
        schedule.active = False
        raise


def schedule_refusal(*, schedule: ReportSchedule) -> str:
    """Why ``schedule`` may not send now ("" when it may), judged against its owner as they are now.

    The owner (``created_by``) must exist, be active and still be allowed to
    send the schedule's audience about its scope (``access.may_send``: for
    the internal audience, the money of every project in scope); every extra
    address of an internal schedule must still be allowed to receive it
    (``access.may_receive_internal``); client contacts' addresses are dropped
    when the report is sent, whatever the schedule says.
    """
    owner = schedule.created_by
    subject = subject_of(schedule)
    if owner is None:
        return "It has no owner. Someone who may send it must edit and save it, and so become its owner."
    name = owner.get_full_name() or owner.get_username()
    if not owner.is_active:
        return f"Its owner, {name}, is deactivated. Someone who may send it must edit and save it."
    if not access.may_send(owner, audience=schedule.audience, **subject):
        what = "internal reports (with costs and margins)" if schedule.audience == Audience.INTERNAL else "reports"
        return f"Its owner, {name}, may no longer send {what} about {subject_name(**subject)}."
    if schedule.audience == Audience.INTERNAL:
        # A client contact's address is dropped from every internal report when it is sent
        # (reports.selectors.report_recipients); anyone else who may not see the money stops the schedule.
        addresses = [line.strip() for line in schedule.extra_recipients.splitlines() if is_address(line.strip())]
        clients = client_addresses(addresses)
        outsiders = [a for a in addresses if a.lower() not in clients and not access.may_receive_internal(a, **subject)]
        if outsiders:
            return f"It would send internal figures to {', '.join(outsiders)}, who may not see them."
    return ""


def schedule_pause(
    *, schedule: ReportSchedule, reason: str, expected_next_run_at: dt.datetime, now: dt.datetime
) -> bool:
    """Pause ``schedule`` with ``reason`` and tell its owner's department heads (once); True when this call paused it.

    A conditional UPDATE on (id, active, old ``next_run_at``), so two
    dispatchers pause it, and tell, once. The heads of the owner's department
    are emailed through the outbox (the administrators when the owner has no
    department or it has no heads), and the audit log records it.
    """
    with transaction.atomic():
        paused = ReportSchedule.objects.filter(pk=schedule.pk, active=True, next_run_at=expected_next_run_at).update(
            active=False, next_run_at=None, paused_reason=reason[:2000], paused_at=now
        )
        if paused != 1:
            return False
        schedule.active, schedule.next_run_at, schedule.paused_reason, schedule.paused_at = False, None, reason, now
        audit_record(
            kind=AuditKind.SCHEDULE_PAUSED,
            user=None,
            target=f"schedule:{schedule.pk}",
            detail={"reason": reason[:500], "owner": schedule.created_by_id},
        )
        recipients = schedule_paused_recipients(schedule=schedule)
        if recipients:
            context = {
                "schedule": schedule,
                "reason": reason,
                "owner": schedule.created_by,
                "schedules_url": settings.APM_SITE_URL.rstrip("/") + reverse("reports:schedules"),
            }
            outbox_enqueue(
                kind="notification",
                to=recipients,
                **email_render("schedule-paused", context),
            )
    logger.warning("Schedule %s paused: %s", schedule.pk, reason, extra=log_ids(schedule_id=schedule.pk))
    return True


def _schedule_title(schedule: ReportSchedule, period_end: dt.date) -> str:
    return f"{schedule.name}, {period_end.day} {period_end:%B %Y}"[:300]


def schedule_claim_occurrence(
    *, schedule: ReportSchedule, expected_next_run_at: dt.datetime, now: dt.datetime
) -> Report | None:
    """Claim the due occurrence ``expected_next_run_at`` of ``schedule`` and write its Report.

    The claim is one conditional UPDATE on (id, old ``next_run_at``) that
    moves ``next_run_at`` to the first occurrence after ``now`` and sets
    ``last_run_at``; only the caller that changed exactly one row goes on, so
    two dispatchers never both create a report. When occurrences were missed
    (the system was down) the report is for the latest occurrence at or
    before ``now``, not one per missed occurrence.

    Returns the new queued Report (render published after commit), or None
    when another caller already claimed it or the report already exists.
    """
    rule = schedule_rule(schedule)
    latest = occurrences.previous_occurrence(**rule, before=now, inclusive=True)
    occurrence = max(latest, expected_next_run_at)
    next_run_at = occurrences.next_occurrence(**rule, after=now)
    with transaction.atomic():
        claimed = ReportSchedule.objects.filter(pk=schedule.pk, active=True, next_run_at=expected_next_run_at).update(
            next_run_at=next_run_at, last_run_at=now
        )
        if claimed != 1:
            return None
        period_start, period_end = occurrences.occurrence_period(**rule, occurrence=occurrence)
        report, created = Report.objects.get_or_create(
            schedule=schedule,
            scheduled_for=occurrence,
            defaults={
                "kind": schedule.kind,
                "audience": schedule.audience,
                "scope": schedule.scope,
                "project_id": schedule.project_id,
                "department_id": schedule.department_id,
                "project_manager_id": schedule.project_manager_id,
                "title": _schedule_title(schedule, period_end),
                "period_start": period_start,
                "period_end": period_end,
                "status": ReportStatus.QUEUED,
                "queued_at": now,
            },
        )
        if not created:
            return None
        queueing.publish_on_commit(RENDER_REPORT, report.pk)
    schedule.next_run_at, schedule.last_run_at = next_run_at, now
    logger.info(
        "Schedule %s: report %s queued for %s",
        schedule.pk,
        report.pk,
        occurrence.isoformat(),
        extra=log_ids(report_id=report.pk, schedule_id=schedule.pk),
    )
    return report


def reports_dispatch_due(*, now: dt.datetime) -> list[Report]:
    """Write one queued Report for every active schedule due at ``now``; returns the new ones.

    Safe to run any number of times and from several processes at once: each
    occurrence yields exactly one Report (see :func:`schedule_claim_occurrence`).
    A schedule whose rule has become invalid is logged and skipped. A
    schedule its owner may no longer send, or whose internal figures would go
    to an address no longer allowed to see them (:func:`schedule_refusal`),
    is paused instead (:func:`schedule_pause`).
    """
    due = ReportSchedule.objects.filter(active=True, next_run_at__isnull=False, next_run_at__lte=now).order_by(
        "next_run_at", "pk"
    )
    created: list[Report] = []
    for schedule in due.select_related("created_by", "project", "department", "project_manager"):
        due_at = schedule.next_run_at
        if due_at is None:  # never: the query picks only schedules with a next run
            continue
        reason = schedule_refusal(schedule=schedule)
        if reason:
            schedule_pause(schedule=schedule, reason=reason, expected_next_run_at=due_at, now=now)
            continue
        try:
            report = schedule_claim_occurrence(schedule=schedule, expected_next_run_at=due_at, now=now)
        except ValueError:
            logger.exception(
                "Schedule %s (%s) has an invalid rule; skipped",
                schedule.pk,
                schedule,
                extra=log_ids(schedule_id=schedule.pk),
            )
            continue
        if report is not None:
            created.append(report)
    return created
