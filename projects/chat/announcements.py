"""What each event of a project says in its chat channels: one function per event, called by the service that
makes the event happen, in its transaction (``projects.chat.services.chat_announce``).

No text carries a money figure (the channel is the team's; a team member never sees money), only references,
titles, names and a link. Each event has a stable key, so running the producer again announces nothing new.
"""

from __future__ import annotations

from django.urls import reverse

from projects.chat.services import chat_announce, project_link, site_link
from projects.models import (
    ChangeRequest,
    ChangeStatus,
    ChatEvent,
    Deliverable,
    DeliverableStatus,
    RaidItem,
    ToleranceException,
)


def announce_critical_issue(*, item: RaidItem) -> int:
    """A critical issue was raised (or an issue became critical): once per item."""
    project = item.project
    return chat_announce(
        project=project,
        event=ChatEvent.CRITICAL_ISSUE,
        title=f"{project.code}: critical issue {item.reference} raised",
        text=f"{item.title} ({project.name}). The reporting heads were told; a head must acknowledge it.",
        url=site_link(reverse("projects:raid_item", kwargs={"code": project.code, "pk": item.pk})),
        key=f"raid:{item.pk}:critical",
    )


def announce_escalation(*, item: RaidItem, hours: int) -> int:
    """A critical issue was not acknowledged in ``hours`` and escalated: once per item."""
    project = item.project
    return chat_announce(
        project=project,
        event=ChatEvent.ESCALATION,
        title=f"{project.code}: critical issue {item.reference} escalated",
        text=f"{item.title} was not acknowledged within {hours} hours; the department heads and management were told.",
        url=site_link(reverse("projects:raid_item", kwargs={"code": project.code, "pk": item.pk})),
        key=f"raid:{item.pk}:escalated",
    )


def announce_change_decision(*, change_request: ChangeRequest) -> int:
    """A change request was approved (and applied) or rejected: once per change request and outcome."""
    project = change_request.project
    approved = change_request.status == ChangeStatus.APPROVED
    outcome = "approved and applied" if approved else "rejected"
    return chat_announce(
        project=project,
        event=ChatEvent.DECISION,
        title=f"{project.code}: change request {change_request.reference} {outcome}",
        text=change_request.title,
        url=site_link(reverse("projects:change", kwargs={"code": project.code, "number": change_request.number})),
        key=f"change:{change_request.pk}:{change_request.status}",
    )


def announce_sign_off(*, deliverable: Deliverable) -> int:
    """The client accepted or rejected a deliverable: once per sign-off (its time names it)."""
    project = deliverable.project
    accepted = deliverable.status == DeliverableStatus.ACCEPTED
    outcome = "accepted by the client" if accepted else "rejected by the client"
    text = deliverable.name if accepted else f"{deliverable.name}: back to the team with the client's comment."
    stamp = deliverable.signed_off_at.isoformat() if deliverable.signed_off_at else ""
    return chat_announce(
        project=project,
        event=ChatEvent.DECISION,
        title=f"{project.code}: deliverable {outcome}",
        text=text,
        url=site_link(reverse("projects:deliverable", kwargs={"code": project.code, "pk": deliverable.pk})),
        key=f"sign-off:{deliverable.pk}:{stamp}",
    )


def announce_tolerance_broken(*, exception: ToleranceException) -> int:
    """A cost or time tolerance was broken (a tolerance exception raised): once per exception, no figures."""
    project = exception.project
    return chat_announce(
        project=project,
        event=ChatEvent.BUDGET_ALERT,
        title=f"{project.code}: the budget tolerance is broken",
        text=f"The {exception.get_kind_display().lower()} forecast of {project.name} is outside its tolerance; "
        "the PM and the heads were emailed. The figures are on the budget page.",
        url=project_link(project, "projects:budget"),
        key=f"tolerance:{exception.pk}",
    )
