"""The events that raise notifications, each named by an idempotency key so that running it twice tells once.

The services where an event happens call these (planning, RAID, changes,
delivery, budget); :func:`work_due_notify` is a beat task's. Who is told is
asked of ``apm.access`` (a capability's ``allows``), never read from the
link tables; :func:`projects.notifications.services.notifications_create`
then drops whoever may not see the project, the actor and the inactive, and
applies each person's channel.

Texts name the object, never an amount: a notification may go to a client
contact or a team member, who do not see the project's money.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone

from apm import access
from apm.accounts.models import User
from projects.models import (
    Approvers,
    ChangeRequest,
    Deliverable,
    DeliverableStatus,
    NotificationKind,
    Project,
    RaidItem,
    Task,
)
from projects.models.tasks import OPEN_TASK_STATES
from projects.notifications.services import NotificationSpec, notifications_create, notifications_create_many

if TYPE_CHECKING:
    from projects.models import ExceptionPlan, Notification
    from teams.models import TeamMember

#: An overdue task or deliverable is told once, when it first shows overdue within this many days of its due
#: date: the first run after deployment does not tell of every task overdue for a year.
OVERDUE_WINDOW_DAYS = 7


def _heads_who(capability: access.Capability, project: Project) -> list[User]:
    """The heads who have ``capability`` on ``project`` (asked of the policy, one check per head).

    Administrators may decide everything too, but are told only through the
    pages: telling every administrator of every project's decisions would
    drown what is theirs.
    """
    candidates = access.reporting_head_candidates().exclude(pk__in=access.administrators().values("pk"))
    return [user for user in candidates.order_by("username") if capability.allows(user, project)]


def _contacts_who_decide(project: Project) -> list[User]:
    """The project's client contacts who may decide for the client (``access.decide_for_client``)."""
    logins = access.client_logins().filter(is_active=True).order_by("username")
    return [user for user in logins if access.decide_for_client.allows(user, project)]


def task_assignees_notify(*, task: Task, people: Iterable[TeamMember], actor: User | None) -> list[Notification]:
    """Tell the people newly assigned ``task`` (those with a login); key ``assignment:task:<task>:<user>``."""
    project = task.project
    url = reverse("projects:task", args=[project.code, task.pk])
    specs = [
        NotificationSpec(
            recipients=[person.user],
            kind=NotificationKind.ASSIGNMENT,
            key=f"assignment:task:{task.pk}:{person.user_id}",
            text=f"You were assigned the task “{task.title}”",
            url=url,
            project=project,
            actor=actor,
        )
        for person in people
        if person.user_id is not None and person.user is not None
    ]
    return notifications_create_many(specs=specs) if specs else []


def raid_owner_notify(*, item: RaidItem, actor: User | None) -> list[Notification]:
    """Tell the owner of a RAID item they own it; key ``assignment:raid:<item>:<owner>`` (once per owner)."""
    if item.owner is None:
        return []
    return notifications_create(
        recipients=[item.owner],
        kind=NotificationKind.ASSIGNMENT,
        key=f"assignment:raid:{item.pk}:{item.owner_id}",
        text=f"You own {item.get_kind_display().lower()} {item.reference}: {item.title}",
        url=reverse("projects:raid_item", args=[item.project.code, item.pk]),
        project=item.project,
        actor=actor,
    )


def _emailed_users(addresses: Iterable[str]) -> list[User]:
    """The active internal users with these addresses (whom a RAID email just went to)."""
    wanted = {a.strip().lower() for a in addresses if a and a.strip()}
    if not wanted:
        return []
    return [u for u in access.internal_users().order_by("pk") if (u.email or "").strip().lower() in wanted]


def critical_issue_notify(*, item: RaidItem, emailed: Iterable[str]) -> list[Notification]:
    """Tell in APM the heads a critical issue was just emailed to (``emailed``: their addresses); key
    ``escalation:raised:<item>``. Written as emailed: the critical-issue email already told them."""
    return notifications_create(
        recipients=_emailed_users(emailed),
        kind=NotificationKind.ESCALATION,
        key=f"escalation:raised:{item.pk}",
        text=f"Critical issue {item.reference} on {item.project.code}: {item.title}: acknowledge it",
        url=reverse("projects:raid_item", args=[item.project.code, item.pk]),
        project=item.project,
        actor=item.raised_by,
        already_emailed=True,
    )


def critical_issue_escalated_notify(*, item: RaidItem, emailed: Iterable[str]) -> list[Notification]:
    """Tell in APM whom an unacknowledged critical issue escalated to (``emailed``: their addresses); key
    ``escalation:escalated:<item>``. Written as emailed: the escalation email already told them."""
    return notifications_create(
        recipients=_emailed_users(emailed),
        kind=NotificationKind.ESCALATION,
        key=f"escalation:escalated:{item.pk}",
        text=f"Critical issue {item.reference} on {item.project.code} escalated: nobody acknowledged it in time",
        url=reverse("projects:raid_item", args=[item.project.code, item.pk]),
        project=item.project,
        already_emailed=True,
    )


def change_request_submitted_notify(*, change_request: ChangeRequest, actor: User | None) -> list[Notification]:
    """Tell who decides a submitted change request: the heads (``decide_as_head``) when a head decides, the
    client's deciding contacts (``decide_for_client``, the portal's link) when the client does. Key
    ``decision:change:<pk>:<submitted_at>``: a change withdrawn and submitted again is asked again."""
    project = change_request.project
    stamp = change_request.submitted_at.isoformat() if change_request.submitted_at else ""
    key = f"decision:change:{change_request.pk}:{stamp}"
    text = f"Change request {change_request.reference} waits for your decision: {change_request.title}"
    specs = []
    if change_request.approvers in (Approvers.HEAD, Approvers.BOTH):
        specs.append(
            NotificationSpec(
                recipients=_heads_who(access.decide_as_head, project),
                kind=NotificationKind.DECISION,
                key=key,
                text=text,
                url=reverse("projects:change", args=[project.code, change_request.number]),
                project=project,
                actor=actor,
            )
        )
    if change_request.approvers in (Approvers.CLIENT, Approvers.BOTH):
        specs.append(
            NotificationSpec(
                recipients=_contacts_who_decide(project),
                kind=NotificationKind.DECISION,
                key=key,
                text=text,
                url=reverse("portal:project", args=[project.code]),
                project=project,
                actor=actor,
            )
        )
    return notifications_create_many(specs=specs)


def sign_off_requested_notify(*, deliverable: Deliverable, actor: User | None) -> list[Notification]:
    """Tell the client's deciding contacts a deliverable waits for their sign-off (the portal's link). Key
    ``decision:sign-off:<pk>:<date>``: sent again to sign-off another day, it is asked again."""
    project = deliverable.project
    return notifications_create(
        recipients=_contacts_who_decide(project),
        kind=NotificationKind.DECISION,
        key=f"decision:sign-off:{deliverable.pk}:{timezone.localdate().isoformat()}",
        text=f"{deliverable.reference} “{deliverable.name}” waits for your sign-off",
        url=reverse("portal:project", args=[project.code]),
        project=project,
        actor=actor,
    )


def exception_plan_submitted_notify(*, plan: ExceptionPlan, actor: User | None) -> list[Notification]:
    """Tell the heads who decide exception plans (``decide_exception_plan``) that one waits; key
    ``decision:exception-plan:<plan>:<submitted_at>`` (a plan revised and submitted again is asked again)."""
    exception = plan.exception
    project = exception.project
    return notifications_create(
        recipients=_heads_who(access.decide_exception_plan, project),
        kind=NotificationKind.DECISION,
        key=f"decision:exception-plan:{plan.pk}:{plan.submitted_at.isoformat() if plan.submitted_at else ''}",
        # The kind, not the summary: a summary may carry amounts.
        text=f"An exception plan on {project.code} waits for your decision ({exception.get_kind_display().lower()})",
        url=reverse("projects:exception_plan", args=[project.code, exception.pk]),
        project=project,
        actor=actor,
    )


def work_due_notify(*, now: dt.datetime | None = None) -> int:
    """Tell assignees of open tasks, and owners of deliverables not yet signed off, what is due tomorrow (key
    with the day: ``due:task:<pk>:<date>``) and what is overdue (once: ``overdue:task:<pk>``). Set-based:
    two reads each of tasks and deliverables, one insert; returns how many notifications were created."""
    today = timezone.localdate(now)
    tomorrow = today + dt.timedelta(days=1)
    since = today - dt.timedelta(days=OVERDUE_WINDOW_DAYS)
    tasks = (
        Task.objects.filter(status__in=OPEN_TASK_STATES, due_date__gte=since, due_date__lte=tomorrow)
        .exclude(due_date=today)
        .select_related("project")
        .prefetch_related("assignees__user")
        .order_by("pk")
    )
    specs = []
    for task in tasks:
        if task.due_date is None:  # filtered out above; for the type checker
            continue
        users = [p.user for p in task.assignees.all() if p.user is not None]
        url = reverse("projects:task", args=[task.project.code, task.pk])
        specs.append(_due_spec("task", task.pk, task.title, task.due_date, tomorrow, users, url, task.project))
    deliverables = (
        Deliverable.objects.filter(owner__isnull=False, due_date__gte=since, due_date__lte=tomorrow)
        .exclude(due_date=today)
        .exclude(status__in=[DeliverableStatus.ACCEPTED, DeliverableStatus.AWAITING_SIGN_OFF])
        .select_related("project", "owner")
        .order_by("pk")
    )
    for d in deliverables:
        url = reverse("projects:deliverable", args=[d.project.code, d.pk])
        specs.append(_due_spec("deliverable", d.pk, d.name, d.due_date, tomorrow, [d.owner], url, d.project))
    return len(notifications_create_many(specs=[s for s in specs if s.recipients]))


def _due_spec(
    what: str,
    pk: int,
    title: str,
    due: dt.date,
    tomorrow: dt.date,
    users: Sequence[User | None],
    url: str,
    project: Project,
) -> NotificationSpec:
    """The notification of one task or deliverable due tomorrow (``due == tomorrow``) or overdue."""
    recipients = [u for u in users if u is not None]
    if due == tomorrow:
        return NotificationSpec(
            recipients=recipients,
            kind=NotificationKind.DUE,
            key=f"due:{what}:{pk}:{due.isoformat()}",
            text=f"Due tomorrow: {title}",
            url=url,
            project=project,
        )
    return NotificationSpec(
        recipients=recipients,
        kind=NotificationKind.OVERDUE,
        key=f"overdue:{what}:{pk}",
        text=f"Overdue since {due:%-d %b %Y}: {title}",
        url=url,
        project=project,
    )
