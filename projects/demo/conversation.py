"""The demo's conversation on its first project: comments and mentions, the notifications they raise, a channel.

Written through the services a person's clicks go through
(``projects.conversation.services``, ``projects.chat.services``), so the
notifications (the member mentioned, the owner of the deliverable the client
comments on, the PM when the client writes) are the ones APM makes. Nothing
is written a second time: a project that has comments is left as it is.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from projects.chat.services import chat_hook_create
from projects.conversation.services import Anchor, comment_create
from projects.models import ChatEvent, ChatService, CommentVisibility, Project, RaidKind

if TYPE_CHECKING:
    from apm.accounts.models import User

#: The demo channel's address: Slack's form, not a real hook (the demo has no internet; its deliveries fail,
#: visibly, on the channel's page).
DEMO_SLACK_HOOK = "https://hooks.slack.com/services/T0DEMO000/B0DEMO000/not-a-real-hook"


def conversation_seed(
    *, project: Project, pm: User, member_user: User, contact_user: User, count: Counter[str]
) -> None:
    """Comments on ``project``'s design concepts (awaiting the client's sign-off: the client asks, the PM
    answers visibly to the client and mentions the member, and notes something internal), on the member's
    overdue task and on the open issue; and the team's Slack channel. Counted in ``count``."""
    if project.comments.exists():
        return
    concepts = project.deliverables.get(name="Design concepts")
    member = member_user.username
    said: list[tuple[Anchor, User, str, str]] = [
        (
            concepts,
            contact_user,
            "Before I sign these off: could the hero image on concept B be warmer? Our ferries sail at sunrise, "
            "and the blue reads as night.",
            CommentVisibility.CLIENT,
        ),
        (
            concepts,
            pm,
            f"Thank you, good catch. @{member} will warm the grade on concept B today and we will post the new "
            "version here before you sign.",
            CommentVisibility.CLIENT,
        ),
        (
            concepts,
            pm,
            "Internal: the warmer grade is inside the two rounds of revisions in the statement of work, so no "
            "change request is needed.",
            CommentVisibility.INTERNAL,
        ),
    ]
    task = project.tasks.filter(assignees__user=member_user).order_by("due_date", "pk").first()
    if task is not None:
        said += [
            (
                task,
                pm,
                f"@{member} is this still on track for Friday, or is it blocked on the staging server?",
                CommentVisibility.INTERNAL,
            ),
            (
                task,
                member_user,
                "On track once staging is back; I am following the issue on the RAID log.",
                CommentVisibility.INTERNAL,
            ),
        ]
    issue = project.raid_items.filter(kind=RaidKind.ISSUE).order_by("pk").first()
    if issue is not None:
        said.append((issue, member_user, "Hosting support expects the fix by 15:00 today.", CommentVisibility.INTERNAL))
    for anchor, author, body, visibility in said:
        comment_create(anchor=anchor, author=author, body=body, visibility=visibility)
        count["Comment"] += 1
    chat_hook_create(
        project=project,
        user=pm,
        service=ChatService.SLACK,
        name=f"#{project.code.lower()}-team",
        url=DEMO_SLACK_HOOK,
        events=[ChatEvent.CRITICAL_ISSUE, ChatEvent.ESCALATION, ChatEvent.DECISION, ChatEvent.CLIENT_COMMENT],
    )
    count["ChatHook"] += 1
