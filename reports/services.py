"""Writes of the reports app: schedules, dispatch, on-demand requests, rendering and delivery.

The main job (DESIGN.md, "The main job, end to end"):

1. :func:`reports_dispatch_due` claims each due schedule with a conditional
   UPDATE (healthchecks' ``sendreports``: filter on id *and* the old
   ``next_run_at``; proceed only when exactly one row changed) and writes one
   queued :class:`~reports.models.Report` per occurrence (a unique constraint
   makes a second write a no-op), publishing the render task after commit.
2. :func:`report_render` claims the report (queued -> rendering), builds the
   snapshot, renders the PDF, stores it, and in the same transaction writes
   one :class:`~reports.models.Delivery` and one outbox email per recipient.
3. :func:`reports_sweep` re-publishes reports a lost broker message or a dead
   worker left behind. The outbox sends the emails and has its own sweeper.

Nothing here waits on the broker: :func:`apm.queueing.publish` swallows
broker errors and the sweeper publishes again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import slugify

from apm import access, queueing, validation
from apm.accounts.models import AuditKind, User
from apm.accounts.services import audit_record
from apm.errors import Refused
from apm.logs import log_ids
from apm.outbox.services import AttachmentSpec, backoff_seconds, outbox_enqueue
from reports import schedule as occurrences
from reports.models import Audience, Delivery, Report, ReportKind, ReportSchedule, ReportStatus, Scope
from reports.selectors import Recipient, client_addresses, report_recipients, schedule_paused_recipients

if TYPE_CHECKING:
    from projects.models import Project
    from teams.models import Department

logger = logging.getLogger(__name__)

#: On-demand reports with no earlier report of the same subject cover this many days.
ON_DEMAND_DEFAULT_DAYS = 28


# --- Schedules -------------------------------------------------------------


def schedule_rule(schedule: ReportSchedule) -> dict[str, Any]:
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


def _schedule_subject(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "scope": schedule.scope,
        "project": schedule.project,
        "department": schedule.department,
        "project_manager": schedule.project_manager,
    }


def schedule_save(*, schedule: ReportSchedule, user: User, now: dt.datetime) -> ReportSchedule:
    """Save ``schedule`` (new or edited) with ``user`` as its owner, and set its next run.

    ``user`` must be allowed to send its audience about its scope, and every
    extra address of an internal schedule allowed to receive it; raises
    :class:`Refused` otherwise, and for a value the model refuses
    (``apm.validation``: a name over 200 characters, an unknown time zone),
    saving nothing. Saving clears a pause reason (the new owner vouches for
    it). Raises ``ValueError`` for an invalid rule (the form has checked it,
    so that is a bug).
    """
    subject = _schedule_subject(schedule)
    check_sender(user=user, audience=schedule.audience, **subject)
    check_recipients(
        addresses=clean_addresses(schedule.extra_recipients.splitlines()), audience=schedule.audience, **subject
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
    subject = _schedule_subject(schedule)
    if owner is None:
        return "It has no owner. Someone who may send it must edit and save it, and so become its owner."
    name = owner.get_full_name() or owner.get_username()
    if not owner.is_active:
        return f"Its owner, {name}, is deactivated. Someone who may send it must edit and save it."
    if not access.may_send(owner, audience=schedule.audience, **subject):
        what = "internal reports (with costs and margins)" if schedule.audience == Audience.INTERNAL else "reports"
        return f"Its owner, {name}, may no longer send {what} about {_subject_name(**subject)}."
    if schedule.audience == Audience.INTERNAL:
        # A client contact's address is dropped from every internal report when it is sent
        # (reports.selectors.report_recipients); anyone else who may not see the money stops the schedule.
        addresses = [line.strip() for line in schedule.extra_recipients.splitlines() if _is_address(line.strip())]
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
                subject=render_to_string("emails/schedule-paused-subject.txt", context),
                body_text=render_to_string("emails/schedule-paused-body-text.txt", context),
                body_html=render_to_string("emails/schedule-paused-body-html.html", context),
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
        _publish_render_on_commit(report.pk)
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
        reason = schedule_refusal(schedule=schedule)
        if reason:
            schedule_pause(schedule=schedule, reason=reason, expected_next_run_at=schedule.next_run_at, now=now)
            continue
        try:
            report = schedule_claim_occurrence(schedule=schedule, expected_next_run_at=schedule.next_run_at, now=now)
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


# --- On-demand requests ----------------------------------------------------


def _is_address(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def clean_addresses(addresses: Iterable[str]) -> list[str]:
    """Stripped non-empty addresses; raises :class:`Refused` naming every invalid one."""
    cleaned = [address.strip() for address in addresses if address and address.strip()]
    bad = [address for address in cleaned if not _is_address(address)]
    if bad:
        raise Refused(f"Not valid email addresses: {', '.join(bad)}.")
    return cleaned


def check_subject(
    *, kind: str, audience: str, scope: str, project: Project | None, department: Department | None, project_manager
) -> None:
    """Raise :class:`Refused` unless kind, audience and scope make a report (the scope's object given, no other)."""
    if kind not in ReportKind.values:
        raise Refused(f"Unknown report kind {kind!r}; expected one of {', '.join(ReportKind.values)}.")
    if audience not in Audience.values:
        raise Refused(f"Unknown audience {audience!r}; expected one of {', '.join(Audience.values)}.")
    if scope not in Scope.values:
        raise Refused(f"Unknown scope {scope!r}; expected one of {', '.join(Scope.values)}.")
    needs = {Scope.PROJECT: "project", Scope.DEPARTMENT: "department", Scope.PM_PORTFOLIO: "project_manager"}
    given = {"project": project, "department": department, "project_manager": project_manager}
    wanted = needs.get(scope)
    if wanted and given[wanted] is None:
        raise Refused(f"A report with scope {scope!r} needs a {wanted.replace('_', ' ')}.")
    extra = [name for name, value in given.items() if value is not None and name != wanted]
    if extra:
        raise Refused(f"A report with scope {scope!r} takes no {' or '.join(n.replace('_', ' ') for n in extra)}.")
    if kind == ReportKind.HIGHLIGHT and scope != Scope.PROJECT:
        raise Refused("A highlight report covers one project: use scope 'project'.")
    if audience == Audience.CLIENT and scope != Scope.PROJECT:
        raise Refused("A client-audience report covers one project: use scope 'project'.")


def check_sender(
    *, user: User | None, audience: str, scope: str, project: Project | None, department, project_manager
) -> None:
    """Raise :class:`Refused` unless ``user`` may send ``audience`` about the scope (``access.may_send``).

    The internal audience needs the money of every project in scope; the
    client audience, a project ``user`` runs or reports on.
    """
    subject = {"scope": scope, "project": project, "department": department, "project_manager": project_manager}
    if access.may_send(user, audience=audience, **subject):
        return
    name = _subject_name(**subject)
    if audience == Audience.INTERNAL:
        raise Refused(f"You may not send internal reports (with costs and margins) about {name}.")
    raise Refused(f"You may not send client reports about {name}.")


def check_recipients(
    *, addresses: Sequence[str], audience: str, scope: str, project: Project | None, department, project_manager
) -> None:
    """Raise :class:`Refused`, naming the addresses, when an internal report may not go to some of ``addresses``.

    Never to a client contact; otherwise only to people who may see the money
    of the whole scope, or to a domain an administrator allowed
    (``access.may_receive_internal``, ``APM_INTERNAL_EMAIL_DOMAINS``). Client
    reports may go to any valid address.
    """
    if audience != Audience.INTERNAL or not addresses:
        return
    clients = client_addresses(addresses)
    if clients:
        raise Refused(f"An internal report is never sent to client contacts: remove {', '.join(sorted(clients))}.")
    subject = {"scope": scope, "project": project, "department": department, "project_manager": project_manager}
    outsiders = [address for address in addresses if not access.may_receive_internal(address, **subject)]
    if outsiders:
        raise Refused(
            f"An internal report shows costs and margins: {', '.join(outsiders)} may not see them "
            f"(not people of APM allowed to see this {scope.replace('_', ' ')}'s money, nor an allowed domain)."
        )


def _subject_name(*, scope: str, project, department, project_manager) -> str:
    if scope == Scope.PROJECT:
        return str(project)
    if scope == Scope.DEPARTMENT:
        return str(department)
    if scope == Scope.PM_PORTFOLIO:
        return f"portfolio of {project_manager}"
    return "the company"


def _same_subject(report_or_kwargs: dict[str, Any]) -> Q:
    return Q(**{key: report_or_kwargs[key] for key in ("kind", "audience", "scope")}) & Q(
        project_id=report_or_kwargs["project_id"],
        department_id=report_or_kwargs["department_id"],
        project_manager_id=report_or_kwargs["project_manager_id"],
    )


def report_request(
    *,
    kind: str,
    audience: str,
    scope: str,
    project: Project | None = None,
    department: Department | None = None,
    project_manager: User | None = None,
    requested_by: User,
    extra_recipients: Sequence[str] = (),
) -> Report:
    """ "Send now": write a queued on-demand Report and publish its render after commit.

    Never renders in the request and never waits on the broker (a failed
    publish is logged; :func:`reports_sweep` publishes again). The period runs
    from the day after the last report of the same subject (else
    ``ON_DEMAND_DEFAULT_DAYS`` days back) to today in ``settings.TIME_ZONE``.
    Recipients (resolved at render time): the scope's recipients as a schedule
    would have them, the requester and ``extra_recipients``.

    Raises :class:`Refused` on inconsistent input (unknown kind, audience or
    scope; scope project without a project, or with a department; a highlight
    or client report not scoped to one project; invalid addresses), when
    ``requested_by`` may not send that audience about that subject
    (:func:`check_sender`), and when an extra address may not receive it
    (:func:`check_recipients`).
    """
    subject_args = {"scope": scope, "project": project, "department": department, "project_manager": project_manager}
    check_subject(kind=kind, audience=audience, **subject_args)
    addresses = clean_addresses(extra_recipients)
    check_sender(user=requested_by, audience=audience, **subject_args)
    check_recipients(addresses=addresses, audience=audience, **subject_args)
    now = timezone.now()
    today = timezone.localtime(now, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    subject = {
        "kind": kind,
        "audience": audience,
        "scope": scope,
        "project_id": project.pk if project else None,
        "department_id": department.pk if department else None,
        "project_manager_id": project_manager.pk if project_manager else None,
    }
    last_end = (
        Report.objects.filter(_same_subject(subject), period_end__lt=today)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    if last_end:
        period_start = last_end + dt.timedelta(days=1)
    else:
        period_start = today - dt.timedelta(days=ON_DEMAND_DEFAULT_DAYS - 1)
    name = _subject_name(scope=scope, project=project, department=department, project_manager=project_manager)
    title = f"{ReportKind(kind).label}: {name}, {today.day} {today:%B %Y}"[:300]
    with transaction.atomic():
        report = validation.create(
            Report,
            **subject,
            schedule=None,
            title=title,
            scheduled_for=now,
            period_start=period_start,
            period_end=today,
            status=ReportStatus.QUEUED,
            queued_at=now,
            requested_by=requested_by,
            extra_recipients="\n".join(addresses),
        )
        _publish_render_on_commit(report.pk)
    logger.info("Report %s queued on demand by user %s", report.pk, requested_by.pk, extra=log_ids(report_id=report.pk))
    return report


# --- Rendering and delivery ------------------------------------------------


def _publish_render_on_commit(report_id: int) -> None:
    from reports.tasks import render_report

    queueing.publish_on_commit(render_report, report_id)


def _claim_render(report_id: int, now: dt.datetime) -> bool:
    stuck_before = now - dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    claimable = Q(status=ReportStatus.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    # A render left behind by a dead worker is taken over (failed by the sweeper after the last try).
    claimable |= Q(status=ReportStatus.RENDERING, render_started_at__lt=stuck_before, tries__lt=settings.APM_MAX_TRIES)
    changed = Report.objects.filter(claimable, pk=report_id).update(
        status=ReportStatus.RENDERING, tries=F("tries") + 1, render_started_at=now
    )
    return changed == 1


def _previous_snapshot(report: Report) -> dict | None:
    rendered = Report.objects.filter(status=ReportStatus.RENDERED, snapshot__isnull=False).exclude(pk=report.pk)
    if report.schedule_id:
        rendered = rendered.filter(schedule_id=report.schedule_id)
    else:
        rendered = rendered.filter(
            _same_subject(
                {
                    "kind": report.kind,
                    "audience": report.audience,
                    "scope": report.scope,
                    "project_id": report.project_id,
                    "department_id": report.department_id,
                    "project_manager_id": report.project_manager_id,
                }
            )
        )
    rendered = rendered.filter(scheduled_for__lt=report.scheduled_for)
    return rendered.order_by("-scheduled_for", "-pk").values_list("snapshot", flat=True).first()


def _build_snapshot(report: Report, previous: dict | None) -> dict:
    from reports.snapshot import report_build_snapshot

    return report_build_snapshot(
        kind=report.kind,
        audience=report.audience,
        scope=report.scope,
        project=report.project,
        department=report.department,
        project_manager=report.project_manager,
        period_start=report.period_start,
        period_end=report.period_end,
        title=report.title,
        previous_snapshot=previous,
        tolerance_exception_id=report.tolerance_exception_id,
    )


def _render(snapshot: dict):
    from reports.rendering import report_render_snapshot

    return report_render_snapshot(snapshot)


def report_page_url(report: Report) -> str:
    """Absolute link to the report in APM: ``settings.APM_SITE_URL`` + its page (or its PDF) route."""
    for route in ("reports:detail", "reports:pdf"):
        try:
            path = reverse(route, kwargs={"pk": report.pk})
        except NoReverseMatch:
            continue
        return settings.APM_SITE_URL.rstrip("/") + path
    return settings.APM_SITE_URL.rstrip("/") + f"/reports/{report.pk}/"


def _pdf_filename(report: Report) -> str:
    return f"{slugify(report.title)[:80] or 'report'}-{report.pk}.pdf"


def _email_context(report: Report, snapshot: dict, recipient: Recipient) -> dict[str, Any]:
    return {
        "report": report,
        "title": snapshot.get("title") or report.title,
        "summary_lines": list(snapshot.get("summary_lines") or []),
        "report_url": report_page_url(report),
        "recipient_name": recipient.name,
        "period_start": report.period_start,
        "period_end": report.period_end,
    }


def _deliver(report: Report, snapshot: dict) -> int:
    """One Delivery and one outbox email per recipient not yet delivered to; returns how many were new."""
    attachment = AttachmentSpec(
        filename=_pdf_filename(report), storage_name=report.pdf.name, mimetype="application/pdf"
    )
    existing = {address.lower() for address in report.deliveries.values_list("email_address", flat=True)}
    created = 0
    for recipient in report_recipients(report=report):
        if recipient.address.lower() in existing:
            continue
        context = _email_context(report, snapshot, recipient)
        email = outbox_enqueue(
            kind="report",
            to=[recipient.address],
            subject=render_to_string("emails/report-subject.txt", context),
            body_text=render_to_string("emails/report-body-text.txt", context),
            body_html=render_to_string("emails/report-body-html.html", context),
            attachments=[attachment],
        )
        delivery = Delivery.objects.create(
            report=report,
            email_address=recipient.address,
            recipient_name=recipient.name[:200],
            recipient_kind=recipient.kind,
            email=email,
        )
        logger.info(
            "Report %s: delivery %s to a %s queued as email %s",
            report.pk,
            delivery.pk,
            recipient.kind,
            email.pk,
            extra=log_ids(
                report_id=report.pk, schedule_id=report.schedule_id, delivery_id=delivery.pk, email_id=email.pk
            ),
        )
        created += 1
    return created


def _record_failure(report_id: int, claimed_at: dt.datetime, error: str) -> None:
    report = Report.objects.get(pk=report_id)
    if report.tries >= settings.APM_MAX_TRIES:
        Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING, render_started_at=claimed_at).update(
            status=ReportStatus.FAILED, last_error=error, next_attempt_at=None
        )
        logger.error(
            "Report %s failed after %s tries: %s",
            report_id,
            report.tries,
            error,
            extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
        )
        return
    now = timezone.now()
    Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING, render_started_at=claimed_at).update(
        status=ReportStatus.QUEUED,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(report.tries)),
        queued_at=now,
    )


def report_render(*, report_id: int) -> Report:
    """Render report ``report_id`` and queue its emails; safe to call any number of times.

    Claims the report with a conditional UPDATE (queued and due -> rendering,
    ``tries`` + 1; or rendering for longer than
    ``settings.APM_STUCK_AFTER_SECONDS``). When the claim fails (already
    rendered, being rendered, failed, or waiting for its backoff) it returns
    the report unchanged. Otherwise it builds the snapshot (with the previous
    rendered report's snapshot of the same schedule or subject), renders the
    PDF, and in one transaction stores it (``pdf``, ``page_count``, SHA-256
    of the bytes, ``snapshot``, ``rendered_at``, status rendered) and writes
    one Delivery with one outbox email per recipient (unique per address, so
    nothing is sent twice).

    On any exception it records ``last_error`` and puts the report back in
    the queue with ``next_attempt_at`` (exponential backoff), or marks it
    failed after ``settings.APM_MAX_TRIES`` tries. The caller (the task)
    retries when the returned report is queued.
    """
    claimed_at = timezone.now()
    if not _claim_render(report_id, claimed_at):
        return Report.objects.get(pk=report_id)
    report = Report.objects.select_related("schedule", "project__client", "department", "project_manager").get(
        pk=report_id
    )
    stored_name = ""
    try:
        snapshot = _build_snapshot(report, _previous_snapshot(report))
        rendered = _render(snapshot)
        pdf = bytes(rendered.pdf)
        with transaction.atomic():
            # Still ours? A render that overran APM_STUCK_AFTER_SECONDS may
            # have been taken over; the later one then delivers.
            locked = (
                Report.objects.select_for_update()
                .filter(pk=report_id, status=ReportStatus.RENDERING, render_started_at=claimed_at)
                .first()
            )
            if locked is None:
                logger.warning(
                    "Report %s was taken over by another render; dropping this one",
                    report_id,
                    extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
                )
                return Report.objects.get(pk=report_id)
            report.pdf.save(_pdf_filename(report), ContentFile(pdf), save=False)
            stored_name = report.pdf.name
            report.page_count = rendered.page_count
            report.sha256 = hashlib.sha256(pdf).hexdigest()
            report.snapshot = snapshot
            report.rendered_at = timezone.now()
            report.status = ReportStatus.RENDERED
            report.last_error = ""
            report.next_attempt_at = None
            report.save(
                update_fields=[
                    "pdf",
                    "page_count",
                    "sha256",
                    "snapshot",
                    "rendered_at",
                    "status",
                    "last_error",
                    "next_attempt_at",
                ]
            )
            delivered = _deliver(report, snapshot)
    except Exception as exc:  # snapshot, template, WeasyPrint, storage or database: record and retry
        logger.exception(
            "Rendering report %s failed", report_id, extra=log_ids(report_id=report_id, schedule_id=report.schedule_id)
        )
        if stored_name:
            default_storage.delete(stored_name)
        _record_failure(report_id, claimed_at, f"{type(exc).__name__}: {exc}"[:2000])
        return Report.objects.get(pk=report_id)
    logger.info(
        "Report %s rendered (try %s): %s pages, %s new deliveries",
        report_id,
        report.tries,
        report.page_count,
        delivered,
        extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
    )
    return report


def reports_sweep(*, now: dt.datetime | None = None) -> int:
    """Publish the render task again for reports a lost message or a dead worker left behind.

    Picks queued reports that are due and were handed to the broker more
    than ``settings.APM_REQUEUE_AFTER_SECONDS`` ago, and reports in rendering
    for longer than ``settings.APM_STUCK_AFTER_SECONDS``. Returns how many
    were published. (The outbox has its own sweeper, ``outbox_sweep``.)

    One stuck after ``settings.APM_MAX_TRIES`` tries (its worker died each
    time: killed, out of memory) is marked failed instead, with the reason.
    """
    from reports.tasks import render_report

    now = now or timezone.now()
    requeue_before = now - dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS)
    stuck_before = now - dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    due = Q(status=ReportStatus.QUEUED, queued_at__lt=requeue_before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(status=ReportStatus.RENDERING, render_started_at__lt=stuck_before)
    for pk, tries in Report.objects.filter(stuck, tries__gte=settings.APM_MAX_TRIES).values_list("pk", "tries"):
        error = f"Its worker was lost during the last of {tries} tries (killed, or out of memory?)"
        if Report.objects.filter(stuck, pk=pk, tries=tries).update(
            status=ReportStatus.FAILED, next_attempt_at=None, last_error=error
        ):
            logger.error("Report %s failed: its worker was lost %s times", pk, tries, extra=log_ids(report_id=pk))
    stuck &= Q(tries__lt=settings.APM_MAX_TRIES)
    ids = list(Report.objects.filter(due | stuck).order_by("pk").values_list("pk", flat=True)[:500])
    if ids:
        Report.objects.filter(pk__in=ids, status=ReportStatus.QUEUED).update(queued_at=now)
    for pk in ids:
        logger.info("Sweeper publishes report %s again", pk, extra=log_ids(report_id=pk))
    return sum(queueing.publish(render_report, pk) for pk in ids)
