"""Writes of a project's chat channels (Slack and Microsoft Teams incoming webhooks), and the one way an event
of a project reaches them: :func:`chat_announce`.

An announcement is one outbound request per active hook subscribed to the event (``apm.outbound``), written in
the caller's transaction and sent after commit, with retries. Its idempotency key is the event's key and the
hook's (``f"{key}:hook:{hook.pk}"``), so an event announced twice (a task run twice, a beat and a retry) is
sent once. Announcements carry no money: a channel is read by the whole team, and a team member never sees
money (``apm.access.see_money``); a budget alert says the tolerance is broken and links to the budget.

A hook's URL is the channel's secret: it is checked when saved (https, no user name or password,
``apm.outbound.guard.url_check``) and again, its addresses too, when each request is sent. Each write but
:func:`chat_announce` requires ``apm.access.manage_chat_hooks`` and refuses with ``apm.errors.Refused``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from apm import access
from apm.accounts.models import User
from apm.errors import Refused
from apm.outbound.guard import GuardRefused, url_check
from apm.outbound.models import OutboundRequest
from apm.outbound.services import outbound_enqueue, outbound_retry
from projects.common.history import history_save
from projects.models import ChatEvent, ChatHook, ChatService, Project

REFUSED = "Only the project's managers may change its chat channels."
#: What an outbound request of a chat hook is called in ``OutboundRequest.kind``.
KIND = "chat"


def hook_source(*, project_id: int, hook_id: int) -> str:
    """The ``OutboundRequest.source`` of a hook's deliveries: ``"chat:<project id>:<hook id>"``."""
    return f"chat:{project_id}:{hook_id}"


def site_link(path: str) -> str:
    """``path`` (``/projects/X/``) as an absolute link on ``settings.APM_SITE_URL``."""
    return f"{settings.APM_SITE_URL.rstrip('/')}{path}"


def project_link(project: Project, url_name: str = "projects:detail") -> str:
    """The absolute link of the project page ``url_name`` (``projects:raid``) of ``project``."""
    return site_link(reverse(url_name, kwargs={"code": project.code}))


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup: escaped, a title can neither link nor mention.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_payload(*, service: str, title: str, text: str, url: str) -> dict[str, Any]:
    """The JSON ``service`` (a :class:`ChatService`) takes: ``title`` in bold, ``text`` under it, a button to
    ``url`` (absolute).

    Slack incoming webhook: ``{"text": fallback, "blocks": [section, actions with a button]}``. Teams Workflows
    ("Send webhook alerts to a channel"): a message with one Adaptive Card 1.4 attachment, two TextBlocks and
    an Action.OpenUrl.
    """
    if service == ChatService.SLACK:
        heading, body = _slack_escape(title), _slack_escape(text)
        return {
            "text": f"{heading}: {body} <{url}|Open in APM>",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{heading}*\n{body}"}},
                {
                    "type": "actions",
                    "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in APM"}, "url": url}],
                },
            ],
        }
    if service == ChatService.TEAMS:
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
                            {"type": "TextBlock", "text": text, "wrap": True},
                        ],
                        "actions": [{"type": "Action.OpenUrl", "title": "Open in APM", "url": url}],
                    },
                }
            ],
        }
    raise ValueError(f"No chat service {service!r}.")


def _enqueue(*, hook: ChatHook, title: str, text: str, url: str, key: str) -> OutboundRequest | None:
    return outbound_enqueue(
        kind=KIND,
        url=hook.url,
        payload=chat_payload(service=hook.service, title=title, text=text, url=url),
        idempotency_key=key,
        source=hook_source(project_id=hook.project_id, hook_id=hook.pk),
        summary=title,
    )


def chat_announce(*, project: Project, event: str, text: str, url: str, key: str, title: str = "") -> int:
    """Announce ``event`` (a :class:`ChatEvent` value) of ``project`` to every active hook subscribed to it:
    ``text`` (no money figures), a link to ``url`` (absolute), ``title`` in bold (the event's label when
    empty). ``key`` names the event (``"raid:12:critical"``); each hook's request is keyed
    ``f"{key}:hook:{hook.pk}"`` and written once however often the event is announced. Returns how many
    requests this call wrote. Raises ``ValueError`` for an unknown event.
    """
    if event not in ChatEvent.values:
        raise ValueError(f"No chat event {event!r}.")
    heading = title or f"{project.code}: {ChatEvent(event).label}"
    written = 0
    with transaction.atomic():
        for hook in ChatHook.objects.filter(project=project, active=True).order_by("pk"):
            if event not in (hook.events or []):
                continue
            if _enqueue(hook=hook, title=heading, text=text, url=url, key=f"{key}:hook:{hook.pk}") is not None:
                written += 1
    return written


def _checked_url(url: str) -> str:
    try:
        url_check(url)
    except GuardRefused as refused:
        raise Refused(refused.message) from None
    return url.strip()


def _checked_events(events: Iterable[str]) -> list[str]:
    chosen = [event for event in ChatEvent.values if event in set(events)]
    unknown = set(events) - set(ChatEvent.values)
    if unknown:
        raise Refused(f"No such event: {', '.join(sorted(unknown))}.")
    return chosen


def chat_hook_create(
    *, project: Project, user: User, service: str, name: str, url: str, events: Iterable[str], active: bool = True
) -> ChatHook:
    """Add a channel to ``project``. Refuses (``Refused``) a user without ``manage_chat_hooks``, a URL that is
    not https (unless an administrator allowed its host plain http) or carries a user name or password, an
    unknown service or event."""
    access.manage_chat_hooks.require(user, project, REFUSED)
    if service not in ChatService.values:
        raise Refused("Choose Slack or Microsoft Teams.")
    hook = ChatHook(
        project=project,
        service=service,
        name=name.strip(),
        url=_checked_url(url),
        events=_checked_events(events),
        active=active,
        created_by=user,
    )
    history_save(hook, user=user, reason="chat channel added")
    return hook


def chat_hook_update(
    *, hook: ChatHook, user: User, service: str, name: str, url: str, events: Iterable[str], active: bool
) -> ChatHook:
    """Change a channel; an empty ``url`` keeps the one it has (pages never show it). Refuses as
    :func:`chat_hook_create`."""
    access.manage_chat_hooks.require(user, hook.project, REFUSED)
    if service not in ChatService.values:
        raise Refused("Choose Slack or Microsoft Teams.")
    hook.service = service
    hook.name = name.strip()
    if url.strip():
        hook.url = _checked_url(url)
    hook.events = _checked_events(events)
    hook.active = active
    history_save(hook, user=user, reason="chat channel changed")
    return hook


def chat_hook_remove(*, hook: ChatHook, user: User) -> None:
    """Remove a channel. Its past deliveries stay listed (as a removed channel's); queued ones are still sent."""
    access.manage_chat_hooks.require(user, hook.project, REFUSED)
    hook._history_user = user  # type: ignore[attr-defined]
    hook._change_reason = "chat channel removed"  # type: ignore[attr-defined]
    hook.delete()


def chat_hook_test(*, hook: ChatHook, user: User) -> OutboundRequest:
    """Send a test message to the channel now (a new request each time). Refuses an inactive hook."""
    access.manage_chat_hooks.require(user, hook.project, REFUSED)
    if not hook.active:
        raise Refused("This channel is paused: make it active to send it a test message.")
    project = hook.project
    with transaction.atomic():
        request = _enqueue(
            hook=hook,
            title=f"{project.code}: test message from APM",
            text=f"{user.get_full_name() or user.username} connected this channel to {project.code} {project.name}.",
            url=project_link(project),
            key=f"chat-test:{hook.pk}:{uuid.uuid4().hex}",
        )
    if request is None:  # a fresh key is never taken; said rather than assumed
        raise Refused("The test message could not be queued; try again.")
    return request


def chat_delivery_retry(*, project: Project, request: OutboundRequest, user: User) -> bool:
    """Send ``request``, a failed delivery of one of ``project``'s channels, again: to the channel's URL as it is
    now (a URL mended after a failure is used) and with the same idempotency key. Returns False when it was not
    failed. Refuses a delivery of another project's channel or of a removed channel."""
    access.manage_chat_hooks.require(user, project, REFUSED)
    if not request.source.startswith(f"chat:{project.pk}:"):
        raise Refused("No such delivery of this project's channels.")
    hook = ChatHook.objects.filter(project=project, pk=int(request.source.rsplit(":", 1)[1])).first()
    if hook is None:
        raise Refused("Its channel was removed: nothing to send it to.")
    return outbound_retry(request_id=request.pk, url=hook.url)
