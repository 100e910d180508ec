"""Writes of the RAID log: risks, issues, assumptions, dependencies; critical issues and their escalation.

A critical issue is an emergency. When one is raised (or an issue becomes
critical) the project's reporting heads are emailed at once, through the
outbox, exactly once (a conditional UPDATE on ``heads_notified_at`` claims
the notification). A head must acknowledge it within the project's
``RaidSettings.critical_ack_hours`` (default ``settings.APM_CRITICAL_ACK_HOURS``);
otherwise :func:`raid_escalate_overdue` (Celery beat, ``projects.tasks``)
escalates it exactly once (a conditional UPDATE on ``escalated_at``).

Who is "next": at raise the reporting heads are told (the heads of the
project's departments when it has no reporting head). On escalation, the
heads of the project's departments who were not told yet, and management
(every active administrator).

Each write refuses with ``apm.errors.Refused`` (a ``TransitionError`` for a
move the workflow table does not allow), changing nothing, and runs the
model's own validation before it writes (``apm.validation``).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.accounts.models import User
from apm.errors import Refused
from apm.outbox.services import email_render, outbox_enqueue
from projects.budget.services.contingency import contingency_request
from projects.chat.announcements import announce_critical_issue, announce_escalation
from projects.common import workflow
from projects.common.history import history_save
from projects.models import (
    ClientContact,
    ContingencyRequest,
    OpenRole,
    Project,
    RaidItem,
    RaidKind,
    RaidSettings,
    RaidStatus,
    Severity,
)
from projects.notifications.producers import critical_issue_escalated_notify, critical_issue_notify, raid_owner_notify

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

RISK_FIELDS = ("probability", "impact", "mitigation", "contingency_plan", "trigger")
ISSUE_FIELDS = ("severity", "affects_client", "client_message")
COMMON_FIELDS = ("title", "description", "owner", "due_date")


def ack_hours(project: Project) -> int:
    """Hours a head has to acknowledge a critical issue on ``project``."""
    row = RaidSettings.objects.filter(project=project).first()
    return row.critical_ack_hours if row else settings.APM_CRITICAL_ACK_HOURS


def _addresses(users: Iterable[User], *, skip: Iterable[str] = ()) -> list[str]:
    seen = {a.lower() for a in skip}
    out = []
    for user in users:
        address = (user.email or "").strip()
        if user.is_active and address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def _department_heads(project: Project) -> list[User]:
    return list(User.objects.filter(headed_departments__projects=project).distinct().order_by("username"))


def raise_recipients(project: Project) -> list[str]:
    """Who is told at once of a critical issue: the reporting heads (else the department heads)."""
    heads = list(project.reporting_heads.order_by("username"))
    return _addresses(heads) or _addresses(_department_heads(project))


def escalation_recipients(item: RaidItem) -> list[str]:
    """Who an overdue critical issue escalates to: department heads not told yet, then administrators."""
    told = list(item.notified_to or [])
    heads = _addresses(_department_heads(item.project), skip=told)
    admins = access.administrators().order_by("username")
    return heads + _addresses(admins, skip=[*told, *heads])


def _email(*, template: str, to: list[str], context: dict[str, Any], kind: str = "notification") -> None:
    outbox_enqueue(
        kind=kind,
        to=to,
        **email_render(template, context),
    )


def _link(item: RaidItem) -> str:
    return f"{settings.APM_SITE_URL.rstrip('/')}/projects/{item.project.code}/raid/{item.pk}/"


def _notify_critical(item: RaidItem) -> bool:
    """Email the reporting heads about a critical issue once; True when this call sent it."""
    if not item.is_critical or item.heads_notified_at is not None:
        return False
    now = timezone.now()
    to = raise_recipients(item.project)
    deadline = now + dt.timedelta(hours=ack_hours(item.project))
    claimed = RaidItem.objects.filter(pk=item.pk, heads_notified_at__isnull=True).update(
        heads_notified_at=now, ack_deadline=deadline, notified_to=to
    )
    if not claimed:
        return False
    item.heads_notified_at, item.ack_deadline, item.notified_to = now, deadline, to
    if to:
        _email(template="critical-issue", to=to, context={"item": item, "project": item.project, "link": _link(item)})
        # The same heads in APM, written as emailed: the email above told them.
        critical_issue_notify(item=item, emailed=to)
    else:
        logger.warning("Critical issue %s on %s: no head to tell", item.pk, item.project.code)
    announce_critical_issue(item=item)
    return True


def _clean(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    allowed = set(COMMON_FIELDS)
    if kind == RaidKind.RISK:
        allowed |= set(RISK_FIELDS)
    if kind == RaidKind.ISSUE:
        allowed |= set(ISSUE_FIELDS)
    unknown = set(fields) - allowed
    if unknown:
        label = RaidKind(kind).label.lower()
        article = "An" if label[0] in "aeiou" else "A"
        raise Refused(f"{article} {label} has no {', '.join(sorted(unknown))}.")
    if "title" in fields and not str(fields["title"] or "").strip():
        raise Refused("Give it a title.")
    if kind == RaidKind.RISK:
        for name in ("probability", "impact"):
            value = fields.get(name)
            if value is not None and not (isinstance(value, int) and 1 <= value <= 5):
                raise Refused(f"The {name} of a risk is a whole number from 1 to 5.")
    if kind == RaidKind.ISSUE and "severity" in fields and fields["severity"] not in Severity.values:
        raise Refused("Choose a severity: low, medium, high or critical.")
    return fields


def raid_item_create(*, project: Project, kind: str, user: User, **fields: Any) -> RaidItem:
    """Log a risk, issue, assumption or dependency; a critical issue tells the heads at once.

    ``fields``: title, description, owner, due_date, and for a risk
    probability/impact (1-5), mitigation, contingency_plan, trigger; for an
    issue severity, affects_client, client_message. A risk needs probability
    and impact, an issue a severity. Raises ``Refused`` unless ``user``
    works on the project, and for an unknown kind or field, a missing title,
    probability, impact or severity, or a value the model refuses (a title
    over 300 characters).
    """
    if not access.work_on_project.allows(user, project):
        raise Refused("You may not log RAID items on this project.")
    if kind not in RaidKind.values:
        raise Refused(f"Unknown kind {kind!r}: risk, issue, assumption or dependency.")
    fields = _clean(kind, fields)
    if not str(fields.get("title") or "").strip():
        raise Refused("Give it a title.")
    if kind == RaidKind.RISK and (fields.get("probability") is None or fields.get("impact") is None):
        raise Refused("A risk needs a probability and an impact (1-5).")
    if kind == RaidKind.ISSUE and not fields.get("severity"):
        raise Refused("An issue needs a severity.")
    with transaction.atomic():
        item = RaidItem(project=project, kind=kind, raised_by=user, raised_at=timezone.now(), **fields)
        history_save(item, user=user, reason="logged")
        _notify_critical(item)
        raid_owner_notify(item=item, actor=user)
    return item


def raid_item_update(*, item: RaidItem, user: User, **fields: Any) -> RaidItem:
    """Change an item's fields (not its status); an issue that becomes critical tells the heads at once.

    Raises ``Refused`` as :func:`raid_item_create` does, changing nothing.
    """
    if not access.work_on_project.allows(user, item.project):
        raise Refused("You may not change this RAID item.")
    fields = _clean(item.kind, fields)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(item, name, value)
        history_save(item, user=user, reason="edited")
        _notify_critical(item)
        if "owner" in fields:
            raid_owner_notify(item=item, actor=user)
    return item


def raid_item_transition(*, item: RaidItem, to: str, user: User, note: str = "") -> RaidItem:
    """Open / monitoring / closed (and reopen). Raises ``Refused`` (a ``TransitionError`` for a move not allowed)."""
    if not access.work_on_project.allows(user, item.project):
        raise Refused("You may not change this RAID item.")
    with transaction.atomic():
        locked = RaidItem.objects.select_for_update().get(pk=item.pk)
        workflow.RAID.check(what=f"{locked.get_kind_display()} {locked.reference}", current=locked.status, target=to)
        locked.status = to
        locked.closed_at = timezone.now() if to == RaidStatus.CLOSED else None
        history_save(
            locked, user=user, reason=f"status: {RaidStatus(to).label}{' (' + note.strip() + ')' if note else ''}"
        )
    item.refresh_from_db()
    return item


def raid_issue_acknowledge(*, item: RaidItem, user: User) -> RaidItem:
    """A head (reporting head, department head or administrator) acknowledges a critical issue; once."""
    if not item.is_critical:
        raise Refused(f"{item.reference} is not a critical issue; nothing to acknowledge.")
    if not access.decide_as_head.allows(user, item.project):
        raise Refused("Only a head of the project or an administrator acknowledges critical issues.")
    with transaction.atomic():
        locked = RaidItem.objects.select_for_update().get(pk=item.pk)
        if locked.acknowledged_at is not None:
            who = locked.acknowledged_by or "someone"
            raise Refused(
                f"{locked.reference} was already acknowledged by {who} on {locked.acknowledged_at:%d %b %Y %H:%M}."
            )
        locked.acknowledged_by, locked.acknowledged_at = user, timezone.now()
        history_save(locked, user=user, reason="acknowledged")
    item.refresh_from_db()
    return item


def raid_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Escalate every open critical issue past its acknowledgement deadline, each once; returns how many.

    Safe to run any number of times, by several workers at once: each issue
    is claimed with a conditional UPDATE on ``escalated_at``.
    """
    now = now or timezone.now()
    due = RaidItem.objects.filter(
        kind=RaidKind.ISSUE,
        severity=Severity.CRITICAL,
        acknowledged_at__isnull=True,
        escalated_at__isnull=True,
        ack_deadline__lte=now,
    ).exclude(status=RaidStatus.CLOSED)
    count = 0
    for item in due.select_related("project"):
        with transaction.atomic():
            to = escalation_recipients(item)
            claimed = RaidItem.objects.filter(
                pk=item.pk, escalated_at__isnull=True, acknowledged_at__isnull=True
            ).update(escalated_at=now, escalated_to=to)
            if not claimed:
                continue
            item.escalated_at, item.escalated_to = now, to
            # The claim above wrote the row; this save records the escalation in the history.
            history_save(
                item, user=None, reason="escalated: not acknowledged in time", fields=["escalated_at", "escalated_to"]
            )
            if to:
                _email(
                    template="critical-issue-escalated",
                    to=to,
                    context={
                        "item": item,
                        "project": item.project,
                        "link": _link(item),
                        "hours": ack_hours(item.project),
                    },
                )
                critical_issue_escalated_notify(item=item, emailed=to)
            announce_escalation(item=item, hours=ack_hours(item.project))
            count += 1
    return count


def raid_issue_tell_client(*, item: RaidItem, user: User, message: str | None = None) -> int:
    """Email the client's contacts about an issue that affects them, in the PM's client words; returns recipients.

    Only ``client_message`` goes out (never the internal description).
    Raises ``Refused`` unless ``user`` manages the project, and when the
    item is not an issue affecting the client, has no client message, or
    the client has no contact with an address.
    """
    project = item.project
    if not access.edit_project.allows(user, project):
        raise Refused("Only the project manager or a head writes to the client.")
    if item.kind != RaidKind.ISSUE or not item.affects_client:
        raise Refused("Only an issue marked as affecting the client is told to the client.")
    text = (message if message is not None else item.client_message).strip()
    if not text:
        raise Refused("Write the message to the client first (in client words).")
    if project.client_id is None:
        raise Refused(f"{project.code} has no client.")
    to = _addresses_of_contacts(ClientContact.objects.filter(client_id=project.client_id).order_by("name"))
    if not to:
        raise Refused(f"{project.client} has no contact with an email address.")
    with transaction.atomic():
        item.client_message = text
        item.client_notified_at = timezone.now()
        history_save(item, user=user, reason="client told")
        _email(template="issue-client", to=to, context={"project": project, "message": text, "item": item})
    return len(to)


def _addresses_of_contacts(contacts: Iterable[ClientContact]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for contact in contacts:
        address = (contact.email or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def raid_issue_open_role(*, item: RaidItem, user: User, hours_per_week: Decimal | int | None = None) -> OpenRole:
    """One click from a critical issue: an open staffing role to cover it (starts today, four weeks).

    ``hours_per_week`` defaults to 20. Returns the new ``OpenRole``; the PM
    adds skills on the team page. Raises ``Refused`` unless ``user`` manages
    the project, or for hours the role refuses (0.25 to 168).
    """
    if not access.edit_project.allows(user, item.project):
        raise Refused("Only the project manager or a head opens staffing roles.")
    today = timezone.localdate()
    end = max(today + dt.timedelta(days=27), item.project.end_date or today)
    end = min(end, today + dt.timedelta(days=90))
    with transaction.atomic():
        role = validation.create(
            OpenRole,
            project=item.project,
            title=f"Cover for {item.reference}: {item.title}"[:200],
            hours_per_week=Decimal(hours_per_week or 20),
            start_date=today,
            end_date=end,
            note=f"Opened from critical issue {item.reference}.",
        )
        history_save(item, user=user, reason=f"staffing role #{role.pk} opened", fields=["status"])
    return role


def raid_issue_request_contingency(*, item: RaidItem, user: User, amount: Decimal, category: str) -> ContingencyRequest:
    """One click from a critical issue: ask the heads for contingency money (``contingency_request``).

    Raises ``Refused`` as :func:`projects.budget.services.contingency.contingency_request` does.
    """
    request = contingency_request(
        project=item.project,
        amount=amount,
        category=category,
        reason=f"Critical issue {item.reference}: {item.title}",
        actor=user,
    )
    history_save(item, user=user, reason=f"contingency request #{request.pk}", fields=["status"])
    return request
