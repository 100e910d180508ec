"""Reads of the notification centre: one person's notifications, their unread count, their preferences.

Only the recipient ever reads a notification: every read here filters on
``recipient=user`` (a notification is a message to one person, not an
object of a project that a capability could share).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from projects.models import Notification, NotificationChannel, NotificationKind, NotificationPreference
from projects.notifications.services import DEFAULT_CHANNELS

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from apm.accounts.models import User


def notifications_of(*, user: User) -> QuerySet[Notification]:
    """``user``'s notifications, newest first, with the project each names (one query per page)."""
    return Notification.objects.filter(recipient=user).select_related("project").order_by("-created_at", "-pk")


def notification_of(*, user: User, pk: int) -> Notification | None:
    """``user``'s notification ``pk``, or None when there is none (or it is another person's)."""
    return Notification.objects.filter(recipient=user, pk=pk).first()


def unread_count(*, user: User) -> int:
    """How many of ``user``'s notifications are unread (one query, on the recipient and read_at index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class PreferenceRow:
    """One kind of notification as the settings page shows it: ``channel`` chosen, ``default`` if not."""

    kind: str
    label: str
    channel: str
    default: str
    default_label: str


def preferences_of(*, user: User) -> list[PreferenceRow]:
    """Each kind (in NotificationKind's order) with ``user``'s channel for it and the default (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    rows = []
    for kind, label in NotificationKind.choices:
        default = DEFAULT_CHANNELS.get(kind, NotificationChannel.IN_APP)
        rows.append(
            PreferenceRow(
                kind=kind,
                label=label,
                channel=chosen.get(kind, default),
                default=default,
                default_label=NotificationChannel(default).label,
            )
        )
    return rows
