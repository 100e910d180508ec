"""Reads of a project's chat channels: the hooks, and the last deliveries to them with their state."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from apm.outbound.models import OutboundRequest
from projects.models import ChatEvent, ChatHook, Project

#: How many of the last deliveries the chat page lists.
LAST_DELIVERIES = 20


def url_host(url: str) -> str:
    """The host of ``url`` ("hooks.slack.com"): all a page shows of a hook's secret address."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def chat_hooks(*, project: Project) -> list[ChatHook]:
    """The project's hooks by name, each with ``host`` (:func:`url_host`) and ``event_labels`` (the labels of
    its events, in :class:`ChatEvent` order) set."""
    hooks = list(ChatHook.objects.filter(project=project).order_by("name", "pk"))
    for hook in hooks:
        hook.host = url_host(hook.url)  # type: ignore[attr-defined]
        hook.event_labels = [label for value, label in ChatEvent.choices if value in (hook.events or [])]  # type: ignore[attr-defined]
    return hooks


@dataclass(frozen=True)
class Delivery:
    """One delivery for the page: the request (never its URL) and the channel's name ("" once removed)."""

    request: OutboundRequest
    channel: str


def chat_delivery(*, project: Project, pk: int) -> OutboundRequest | None:
    """Delivery ``pk`` if it went (or goes) to one of ``project``'s channels, else None."""
    return OutboundRequest.objects.filter(pk=pk, source__startswith=f"chat:{project.pk}:").first()


def chat_deliveries(*, project: Project, hooks: list[ChatHook], limit: int = LAST_DELIVERIES) -> list[Delivery]:
    """The last ``limit`` deliveries to ``project``'s channels (removed ones' too), newest first."""
    names = {hook.pk: hook.name for hook in hooks}
    rows = (
        OutboundRequest.objects.filter(source__startswith=f"chat:{project.pk}:")
        .defer("url", "body", "headers")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [Delivery(request=row, channel=names.get(int(row.source.rsplit(":", 1)[1]), "")) for row in rows]
