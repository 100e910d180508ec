"""Reads of the reports app: who receives a report, the earlier reports of the same subject, the projects a
schedule may name.

An internal report never goes to a client contact's address, whatever the
source (schedule, extra addresses, requester); a client report never goes to
reporting heads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q

from apm import access
from apm.accounts.models import User
from projects.models import ClientContact
from reports.kinds import kind_for
from reports.kinds.base import Snapshot
from reports.models import Audience, Delivery, Report, ReportSchedule, ReportStatus, Scope
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.access.base import AnyUser

logger = logging.getLogger(__name__)


def client_addresses(addresses: Iterable[str]) -> set[str]:
    """The lower-cased addresses among ``addresses`` that belong to client contacts."""
    wanted = {address.lower() for address in addresses}
    if not wanted:
        return set()
    query = Q()
    for address in wanted:
        query |= Q(email__iexact=address)
    found = {email.lower() for email in ClientContact.objects.filter(query).values_list("email", flat=True)}
    found |= {email.lower() for email in access.client_logins().filter(query).values_list("email", flat=True)}
    return found & wanted


@dataclass(frozen=True)
class Recipient:
    """One address a report goes to; ``kind`` is a ``Delivery.RecipientKind`` value."""

    address: str
    name: str
    kind: str


def _user_recipients(users: Iterable[User], kind: str) -> list[Recipient]:
    return [
        Recipient(user.email.strip(), user.get_full_name() or user.username, kind)
        for user in users
        if user.is_active and user.email and user.email.strip()
    ]


def _reporting_heads(report: Report) -> list[Recipient]:
    kind = Delivery.RecipientKind.REPORTING_HEAD
    if report.scope == Scope.PROJECT and report.project is not None:
        heads = list(report.project.reporting_heads.order_by("pk"))
        if kind_for(report.kind).about_exception:
            # A broken tolerance goes up the line too: the heads of the project's departments.
            heads += User.objects.filter(headed_departments__projects=report.project_id).distinct().order_by("pk")
        return _user_recipients(heads, kind)
    if report.scope == Scope.DEPARTMENT and report.department is not None:
        return _user_recipients(report.department.heads.order_by("pk"), kind)
    if report.scope == Scope.COMPANY:
        # Every project's figures: only administrators may see them all.
        return _user_recipients(access.administrators().order_by("pk"), kind)
    if report.scope == Scope.PM_PORTFOLIO and report.project_manager is not None:
        return _user_recipients([report.project_manager], kind)
    return []


def _client_contacts(report: Report) -> list[Recipient]:
    project = report.project if report.scope == Scope.PROJECT else None
    client = project.client if project is not None else None
    if client is None:
        return []
    contacts = client.contacts.filter(opted_in_reports=True).order_by("pk")
    return [
        Recipient(contact.email.strip(), contact.name, Delivery.RecipientKind.CLIENT_CONTACT)
        for contact in contacts
        if contact.email and contact.email.strip()
    ]


#: The longest address a delivery records (RFC 5321's path limit less the brackets; Django's EmailField).
ADDRESS_MAX_LENGTH = 254


def is_address(text: str) -> bool:
    """Whether ``text`` is one valid email address, no longer than :data:`ADDRESS_MAX_LENGTH`."""
    if len(text) > ADDRESS_MAX_LENGTH:
        return False
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def report_recipients(*, report: Report) -> list[Recipient]:
    """Who receives ``report``, deduplicated by lower-cased address, in a stable order.

    Scheduled reports follow the schedule's flags; on-demand ones (no
    schedule) behave as a schedule sending to reporting heads (internal) or
    client contacts (client), plus the requester; "send now" of a schedule
    (schedule and requester set) follows the schedule plus the requester. Reporting heads: a
    project's ``reporting_heads``, a department's heads, the administrators
    for the company (who alone may see every project), the PM for a PM's portfolio — internal audience
    only. Opted-in client contacts of the project's client — client audience
    only. Then extra addresses. An internal report never goes to a client
    contact's address, whatever the source. Users without an email are skipped,
    and so are the schedule's paused recipients (``PausedRecipient``).
    """
    schedule = report.schedule
    internal = report.audience == Audience.INTERNAL
    to_heads = schedule.send_to_reporting_heads if schedule else True
    to_contacts = schedule.send_to_client_contacts if schedule else True
    extra_lines = (schedule.extra_recipients if schedule else report.extra_recipients) or ""
    candidates: list[Recipient] = []
    if internal and to_heads:
        candidates += _reporting_heads(report)
    if not internal and to_contacts:
        candidates += _client_contacts(report)
    if report.requested_by is not None:  # scheduled occurrences have no requester; "send now" of a schedule has
        candidates += _user_recipients([report.requested_by], Delivery.RecipientKind.REQUESTER)
    for line in extra_lines.splitlines():
        address = line.strip()
        if not address:
            continue
        if not is_address(address):
            logger.warning("Report %s: skipping invalid extra address %r", report.pk, address)
            continue
        candidates.append(Recipient(address, "", Delivery.RecipientKind.EXTRA))
    if internal:
        clients = client_addresses(r.address for r in candidates)
        candidates = [r for r in candidates if r.address.lower() not in clients]
    # Those who unsubscribed from this schedule (its emails' one-click link) get no more of its reports.
    seen: set[str] = set(schedule.paused_recipients.values_list("email_address", flat=True)) if schedule else set()
    recipients = []
    for recipient in candidates:
        key = recipient.address.lower()
        if key not in seen:
            seen.add(key)
            recipients.append(recipient)
    return recipients


def schedule_paused_recipients(*, schedule: ReportSchedule) -> list[str]:
    """Who is told that ``schedule`` was paused: the heads of its owner's department, else the administrators."""
    owner = schedule.created_by
    member = TeamMember.objects.filter(user=owner).select_related("department").first() if owner else None
    department = member.department if member is not None else None
    heads = list(department.heads.filter(is_active=True).order_by("pk")) if department is not None else []
    people = heads or list(access.administrators().order_by("pk"))
    return [r.address for r in _user_recipients(people, Delivery.RecipientKind.REPORTING_HEAD)]


class ReportSubject(TypedDict):
    """What a report is about, as a Report's fields: kind, audience, scope and the scope's object by id."""

    kind: str
    audience: str
    scope: str
    project_id: int | None
    department_id: int | None
    project_manager_id: int | None


def same_subject(subject: ReportSubject) -> Q:
    """Reports of the same kind, audience, scope and scope object as ``subject``."""
    return Q(**{key: subject[key] for key in ("kind", "audience", "scope")}) & Q(
        project_id=subject["project_id"],
        department_id=subject["department_id"],
        project_manager_id=subject["project_manager_id"],
    )


def last_period_end(subject: ReportSubject, *, before: dt.date) -> dt.date | None:
    """The latest period end before ``before`` of a report of ``subject`` (see :func:`same_subject`), or None."""
    return (
        Report.objects.filter(same_subject(subject), period_end__lt=before)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )


def previous_snapshot(*, report: Report) -> Snapshot | None:
    """The snapshot of the latest rendered report before ``report`` in its series, or None.

    The series: the same schedule, or for an on-demand report the same
    subject (:func:`same_subject`).
    """
    rendered = Report.objects.filter(status=ReportStatus.RENDERED, snapshot__isnull=False).exclude(pk=report.pk)
    if report.schedule_id:
        rendered = rendered.filter(schedule_id=report.schedule_id)
    else:
        rendered = rendered.filter(
            same_subject(
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


#: How many projects the schedule form's project list and its search offer at once.
PROJECT_OPTIONS = 20


class ProjectOption(TypedDict):
    code: str
    name: str


def schedule_project_options(*, user: AnyUser, query: str = "", limit: int = PROJECT_OPTIONS) -> list[ProjectOption]:
    """The projects a schedule of ``user`` may name (those they may send reports about, ``access.send_client``,
    as the schedule form's project field) whose code or name contains ``query`` (any case), by code; at most
    ``limit``, as ``{"code", "name"}``. One query."""
    projects = access.send_client.queryset(user)
    query = query.replace("\x00", "").strip()[:100]  # PostgreSQL text holds no NUL
    if query:
        projects = projects.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return [
        {"code": code, "name": name}
        for code, name in projects.order_by("code").values_list("code", "name")[: max(limit, 0)]
    ]
