"""Reports asked for now: "Send now" (:func:`report_request`), the exception report of a broken tolerance
(:func:`exception_report_queue`), and the checks every request and schedule passes.

Both write one queued :class:`~reports.models.Report` and publish its render
after commit (``apm.queueing``, by name): nothing renders in the request and
nothing waits on the broker (a failed publish is logged; the sweeper
publishes again).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apm import access, queueing, validation
from apm.errors import Refused
from apm.logs import log_ids
from projects.budget.selectors import open_exception
from projects.models import ToleranceException
from reports.kinds import KINDS, UnknownReportKind, kind_for
from reports.kinds.exception import subject as exception_subject
from reports.models import Audience, Report, ReportKind, ReportSchedule, ReportStatus, Scope
from reports.selectors import ReportSubject, client_addresses, is_address, last_period_end
from reports.task_names import RENDER_REPORT

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Project
    from teams.models import Department

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")

#: On-demand reports with no earlier report of the same subject cover this many days.
ON_DEMAND_DEFAULT_DAYS = 28


class Subject(TypedDict):
    """What a report covers: a ``Scope`` value and its object (the others None).

    The subject of the checks below; as keyword arguments, those of
    :func:`subject_name`, ``access.may_send`` and ``access.may_receive_internal``.
    """

    scope: str
    project: Project | None
    department: Department | None
    project_manager: User | None


def subject_of(report: Report | ReportSchedule) -> Subject:
    """The subject of a report or a schedule."""
    return Subject(
        scope=report.scope,
        project=report.project,
        department=report.department,
        project_manager=report.project_manager,
    )


def clean_addresses(addresses: Iterable[str]) -> list[str]:
    """Stripped non-empty addresses; raises :class:`Refused` naming every invalid one."""
    cleaned = [address.strip() for address in addresses if address and address.strip()]
    bad = [address for address in cleaned if not is_address(address)]
    if bad:
        raise Refused(f"Not valid email addresses: {', '.join(bad)}.")
    return cleaned


def subject_name(
    *, scope: str, project: Project | None, department: Department | None, project_manager: User | None
) -> str:
    """The scope in words: the project, the department, "portfolio of <PM>" or "the company"."""
    if scope == Scope.PROJECT:
        return str(project)
    if scope == Scope.DEPARTMENT:
        return str(department)
    if scope == Scope.PM_PORTFOLIO:
        return f"portfolio of {project_manager}"
    return "the company"


def check_subject(*, kind: str, audience: str, subject: Subject, exception: ToleranceException | None = None) -> None:
    """Raise :class:`Refused` unless kind, audience and subject make a report a user may ask for.

    The scope's object must be given, and no other; the kind must declare
    the scope and the audience (``reports/kinds/``; a client-audience report
    covers one project) and be one a user may request or schedule (an
    exception report is queued by its broken tolerance, or sent now about
    the project's open ``exception``, never scheduled).
    """
    try:
        spec = kind_for(kind)
    except UnknownReportKind as exc:
        raise Refused(str(exc)) from None
    scope = subject["scope"]
    if audience not in Audience.values:
        raise Refused(f"Unknown audience {audience!r}; expected one of {', '.join(Audience.values)}.")
    if scope not in Scope.values:
        raise Refused(f"Unknown scope {scope!r}; expected one of {', '.join(Scope.values)}.")
    needs = {Scope.PROJECT: "project", Scope.DEPARTMENT: "department", Scope.PM_PORTFOLIO: "project_manager"}
    given = {
        "project": subject["project"],
        "department": subject["department"],
        "project_manager": subject["project_manager"],
    }
    wanted = needs.get(Scope(scope))
    if wanted and given[wanted] is None:
        raise Refused(f"A report with scope {scope!r} needs a {wanted.replace('_', ' ')}.")
    extra = [name for name, value in given.items() if value is not None and name != wanted]
    if extra:
        raise Refused(f"A report with scope {scope!r} takes no {' or '.join(n.replace('_', ' ') for n in extra)}.")
    refusal = spec.refusal(scope=scope, audience=audience)
    if refusal:
        raise Refused(refusal)
    if not spec.requestable and exception is None:
        raise Refused(f"An {spec.label.lower()} is sent when a project breaks a tolerance; it cannot be requested.")


def check_sender(*, user: User | None, audience: str, subject: Subject) -> None:
    """Raise :class:`Refused` unless ``user`` may send ``audience`` about the subject (``access.may_send``).

    The internal audience needs the money of every project in scope; the
    client audience, a project ``user`` runs or reports on.
    """
    if access.may_send(user, audience=audience, **subject):
        return
    name = subject_name(**subject)
    if audience == Audience.INTERNAL:
        raise Refused(f"You may not send internal reports (with costs and margins) about {name}.")
    raise Refused(f"You may not send client reports about {name}.")


def check_recipients(*, addresses: Sequence[str], audience: str, subject: Subject) -> None:
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
    outsiders = [address for address in addresses if not access.may_receive_internal(address, **subject)]
    if outsiders:
        scope = subject["scope"].replace("_", " ")
        raise Refused(
            f"An internal report shows costs and margins: {', '.join(outsiders)} may not see them "
            f"(not people of APM allowed to see this {scope}'s money, nor an allowed domain)."
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
    schedule: ReportSchedule | None = None,
) -> Report:
    """ "Send now": write a queued on-demand Report and publish its render after commit.

    Never renders in the request and never waits on the broker (a failed
    publish is logged; ``reports_sweep`` publishes again). The period runs
    from the day after the last report of the same subject (else
    ``ON_DEMAND_DEFAULT_DAYS`` days back) to today in ``settings.TIME_ZONE``.
    Recipients (resolved at render time): the scope's recipients as a schedule
    would have them, the requester and ``extra_recipients``. The title is the
    kind's (``ReportKindSpec.title``).

    An exception report (a kind ``about_exception``) is about the project's
    newest open tolerance exception (``Report.tolerance_exception``) and
    named after it.

    ``schedule``: the schedule whose "send now" this is, stored on the Report.
    Its recipients are then the schedule's (its flags and extra addresses, not
    ``extra_recipients``) and the requester, less those who unsubscribed from
    it; each email carries that schedule's one-click unsubscribe link.

    Raises :class:`Refused` on inconsistent input (:func:`check_subject`:
    unknown kind, audience or scope; the scope's object missing or another
    given; a scope or audience the kind does not declare; an exception
    report of a project without an open tolerance exception, or scheduled;
    invalid addresses), when ``requested_by`` may not send that
    audience about that subject (:func:`check_sender`), and when an extra
    address may not receive it (:func:`check_recipients`).
    """
    subject_args = Subject(scope=scope, project=project, department=department, project_manager=project_manager)
    exception = _exception_to_send(kind=kind, project=project if scope == Scope.PROJECT else None)
    check_subject(kind=kind, audience=audience, subject=subject_args, exception=exception)
    addresses = clean_addresses(extra_recipients)
    check_sender(user=requested_by, audience=audience, subject=subject_args)
    check_recipients(addresses=addresses, audience=audience, subject=subject_args)
    now = timezone.now()
    today = timezone.localtime(now, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    subject: ReportSubject = {
        "kind": kind,
        "audience": audience,
        "scope": scope,
        "project_id": project.pk if project else None,
        "department_id": department.pk if department else None,
        "project_manager_id": project_manager.pk if project_manager else None,
    }
    last_end = last_period_end(subject, before=today)
    if last_end:
        period_start = last_end + dt.timedelta(days=1)
    else:
        period_start = today - dt.timedelta(days=ON_DEMAND_DEFAULT_DAYS - 1)
    about = exception_subject(exception) if exception is not None else subject_name(**subject_args)
    title = kind_for(kind).title(subject=about, on=today)
    with transaction.atomic():
        report = validation.create(
            Report,
            **subject,
            schedule=schedule,
            tolerance_exception=exception,
            title=title,
            scheduled_for=now,
            period_start=period_start,
            period_end=today,
            status=ReportStatus.QUEUED,
            queued_at=now,
            requested_by=requested_by,
            extra_recipients="\n".join(addresses),
        )
        queueing.publish_on_commit(RENDER_REPORT, report.pk)
    logger.info("Report %s queued on demand by user %s", report.pk, requested_by.pk, extra=log_ids(report_id=report.pk))
    return report


def wants_full_commentary(report: Report) -> bool:
    """Whether ``report``'s snapshot shows the commentary of every project (``SnapshotRequest.full_commentary``).

    Only a report of a schedule that asks for it (``ReportSchedule.full_commentary``, a kind that offers it):
    the schedule's occurrences and its own "send now". Any other "send now" or on-demand report has the short
    form, the commentary of the projects that need attention.
    """
    schedule = report.schedule
    return bool(
        schedule is not None
        and schedule.full_commentary
        and report.kind in KINDS
        and KINDS[report.kind].full_commentary
    )


def _exception_to_send(*, kind: str, project: Project | None) -> ToleranceException | None:
    """For a kind about a tolerance exception on a project, the exception a report sent now is about (the
    newest open one); ``Refused`` when the project has none. None for any other kind."""
    spec = KINDS.get(kind)
    if spec is None or not spec.about_exception or project is None:
        return None
    exception = open_exception(project=project)
    if exception is None:
        raise Refused(f"{project.code} has no open tolerance exception: there is no exception report to send.")
    return exception


def exception_report_queue(sender: object, exception: ToleranceException, **kwargs: Any) -> Report:
    """Write the queued exception Report for ``exception`` and publish its render after commit.

    The receiver of ``projects.budget.signals.tolerance_exception_raised``
    (connected in ``ReportsConfig.ready``): an internal, project-scope report
    pointing at the exception, requested by the project's PM (who receives it
    with the reporting heads).
    """
    project = exception.project
    now = timezone.now()
    spec = kind_for(ReportKind.EXCEPTION)
    with transaction.atomic():
        report = Report.objects.create(
            kind=spec.value,
            audience=Audience.INTERNAL,
            scope=Scope.PROJECT,
            project=project,
            tolerance_exception=exception,
            title=spec.title(subject=exception_subject(exception), on=timezone.localdate(now)),
            scheduled_for=now,
            period_end=timezone.localdate(now),
            status=ReportStatus.QUEUED,
            queued_at=now,
            requested_by=project.project_manager,
        )
        queueing.publish_on_commit(RENDER_REPORT, report.pk)
    return report
