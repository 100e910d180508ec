"""Writes of the notification centre: creating notifications (the one producer call), reading them, preferences.

:func:`notifications_create` is what every event calls (a comment's
mentions, an assignment, a decision waiting, an escalation, work due). It
creates at most one notification per (recipient, key), even when two
workers run the same event at once: one ``INSERT .. ON CONFLICT DO NOTHING
RETURNING`` (PostgreSQL and SQLite both have it) says which rows this call
wrote, and only those are emailed. Who hears how is the recipient's
:class:`~projects.models.NotificationPreference` for the kind, else the
kind's default in :data:`DEFAULT_CHANNELS`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from apm import access
from apm.accounts.models import User
from apm.errors import Refused
from apm.outbox.services import email_render, outbox_enqueue
from projects.models import Notification, NotificationChannel, NotificationKind, NotificationPreference, Project

logger = logging.getLogger(__name__)

#: How a kind reaches a person who has not chosen: what needs them now by email, the rest in APM.
DEFAULT_CHANNELS: dict[str, str] = {
    NotificationKind.MENTION: NotificationChannel.EMAIL,
    NotificationKind.COMMENT: NotificationChannel.IN_APP,
    NotificationKind.ASSIGNMENT: NotificationChannel.IN_APP,
    NotificationKind.DECISION: NotificationChannel.EMAIL,
    NotificationKind.ESCALATION: NotificationChannel.EMAIL,
    NotificationKind.DUE: NotificationChannel.IN_APP,
    NotificationKind.OVERDUE: NotificationChannel.IN_APP,
}

_TEXT_MAX = Notification._meta.get_field("text").max_length or 500
_URL_MAX = Notification._meta.get_field("url").max_length or 500
_KEY_MAX = Notification._meta.get_field("key").max_length or 200


@dataclass(frozen=True)
class NotificationSpec:
    """One notification to create: the arguments of :func:`notifications_create` for one event."""

    recipients: Sequence[User]
    kind: str
    key: str
    text: str
    url: str
    project: Project | None = None
    actor: User | None = None
    # True when the event's own email already told these recipients (a critical issue's heads): the
    # notification is written as emailed, so the preference "email at once" does not send a second one.
    already_emailed: bool = False


def is_inside_path(url: str) -> bool:
    """Whether ``url`` is a path inside APM (``/projects/...``): never another host (``//x``, ``http:``, ``/\\x``)."""
    return url.startswith("/") and not url.startswith(("//", "/\\")) and "\n" not in url and "\r" not in url


def channels_for(*, users: Iterable[User], kind: str) -> dict[int, str]:
    """Each user's channel for ``kind`` (user id to a NotificationChannel value): their row, else the default."""
    ids = [user.pk for user in users]
    chosen = dict(NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "channel"))
    default = DEFAULT_CHANNELS.get(kind, NotificationChannel.IN_APP)
    return {pk: chosen.get(pk, default) for pk in ids}


def notifications_create(
    *,
    recipients: Iterable[User],
    kind: str,
    key: str,
    text: str,
    url: str,
    project: Project | None = None,
    actor: User | None = None,
    already_emailed: bool = False,
) -> list[Notification]:
    """Tell ``recipients`` of one event named ``key``; returns the notifications this call created.

    ``kind`` is a :class:`NotificationKind` value; ``url`` a path inside APM
    (anything else is stored empty: a notification never links outside).
    Dropped first: inactive users, the ``actor`` (nobody is told of their own
    act), and, when ``project`` is given, anyone who may not see it
    (``apm.access.see_project``). Then per recipient's channel: OFF creates
    nothing; EMAIL also queues one email through the outbox (sent after the
    caller's transaction commits) and sets ``emailed_at``, unless
    ``already_emailed`` says the event's own email told them; DIGEST leaves it
    to the daily digest; IN_APP does nothing more. Idempotent per
    (recipient, key): a second call, or a concurrent one, creates nothing for
    that recipient and returns it in no list. Raises ``ValueError`` for an
    unknown kind.
    """
    spec = NotificationSpec(
        recipients=list(recipients),
        kind=kind,
        key=key,
        text=text,
        url=url,
        project=project,
        actor=actor,
        already_emailed=already_emailed,
    )
    return notifications_create_many(specs=[spec])


def _wanted(spec: NotificationSpec, seen: dict[tuple[int, int], bool]) -> list[User]:
    """The recipients of ``spec`` who may be told (``seen`` caches see_project per user and project)."""
    out: list[User] = []
    unique = {user.pk: user for user in spec.recipients if user is not None and user.pk is not None}
    for user in unique.values():
        if not user.is_active or (spec.actor is not None and user.pk == spec.actor.pk):
            continue
        if spec.project is not None:
            pair = (user.pk, spec.project.pk)
            if pair not in seen:
                seen[pair] = access.see_project.allows(user, spec.project)
            if not seen[pair]:
                continue
        out.append(user)
    return out


def notifications_create_many(*, specs: Iterable[NotificationSpec]) -> list[Notification]:
    """:func:`notifications_create` for several events at once (a beat's run): one insert for all of them.

    Same rules as :func:`notifications_create` for each spec; the queries do
    not grow with the number of events, except one access check per
    (recipient, project) pair and one email per notification sent at once.
    """
    specs = list(specs)
    for spec in specs:
        if spec.kind not in NotificationKind.values:
            raise ValueError(f"Unknown notification kind {spec.kind!r}.")
    seen: dict[tuple[int, int], bool] = {}
    rows: list[tuple[User, NotificationSpec]] = []
    by_kind: dict[str, set[User]] = {}
    for spec in specs:
        for user in _wanted(spec, seen):
            rows.append((user, spec))
            by_kind.setdefault(spec.kind, set()).add(user)
    if not rows:
        return []
    channel: dict[tuple[int, str], str] = {}
    for kind, users in by_kind.items():
        for pk, value in channels_for(users=users, kind=kind).items():
            channel[(pk, kind)] = value
    rows = [(user, spec) for user, spec in rows if channel[(user.pk, spec.kind)] != NotificationChannel.OFF]
    if not rows:
        return []
    now = timezone.now()
    with transaction.atomic():
        created = _insert(rows, now=now)
        emailed = [
            n
            for n in created
            if channel[(n.recipient_id, n.kind)] == NotificationChannel.EMAIL and n.emailed_at is None
        ]
        for notification in emailed:
            _send_at_once(notification)
        if emailed:
            Notification.objects.filter(pk__in=[n.pk for n in emailed]).update(emailed_at=now)
            for notification in emailed:
                notification.emailed_at = now
    return created


def _column(name: str) -> str:
    """The quoted database column of Notification's field ``name``."""
    field = Notification._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:  # a reverse relation has no column
        raise TypeError(f"Notification.{name} is not a column.")
    return connection.ops.quote_name(field.column)


def _insert(rows: list[tuple[User, NotificationSpec]], *, now: datetime) -> list[Notification]:
    """Insert the rows, skipping any (recipient, key) already there; the notifications written by this call.

    ``bulk_create(ignore_conflicts=True)`` cannot say which rows were new, and
    reading back afterwards would count a row a concurrent call just committed
    as ours (and email it twice); ``RETURNING`` on the insert itself cannot.
    """
    columns = ["recipient", "kind", "project", "actor", "text", "url", "key", "created_at", "emailed_at"]
    stamp = connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = []
    for user, spec in rows:
        url = spec.url if is_inside_path(spec.url) else ""
        params += [
            user.pk,
            spec.kind,
            spec.project.pk if spec.project is not None else None,
            spec.actor.pk if spec.actor is not None else None,
            spec.text[:_TEXT_MAX],
            url[:_URL_MAX],
            spec.key[:_KEY_MAX],
            stamp,
            stamp if spec.already_emailed else None,
        ]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    table = connection.ops.quote_name(Notification._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(_column(c) for c in columns)}) "  # noqa: S608 - names from _meta
        f"VALUES {placeholders} "
        f"ON CONFLICT ({_column('recipient')}, {_column('key')}) DO NOTHING RETURNING {_column('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(Notification.objects.filter(pk__in=ids).select_related("recipient", "project", "actor"))


def _send_at_once(notification: Notification) -> None:
    """Queue the one email that tells the recipient of ``notification`` (the outbox sends it after commit)."""
    address = (notification.recipient.email or "").strip()
    if not address:
        logger.info("Notification %s: recipient has no email address", notification.pk)
        return
    link = f"{settings.APM_SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
    context = {"notification": notification, "recipient": notification.recipient, "link": link}
    outbox_enqueue(kind="notification", to=[address], **email_render("notification", context))


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (once: a second call keeps the first time).

    Raises ``Notification.DoesNotExist`` when it is not theirs (views answer 404).
    """
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def preferences_save(*, user: User, channels: dict[str, str]) -> None:
    """Save ``user``'s channel per kind (kind value to channel value); a kind left out keeps what it had.

    A choice equal to the kind's default is saved too: the person chose it,
    and a later change of the default should not change it under them.
    Raises ``Refused`` for an unknown kind or channel.
    """
    for kind, value in channels.items():
        if kind not in NotificationKind.values or value not in NotificationChannel.values:
            raise Refused("Choose one of the offered ways for each kind of notification.")
    with transaction.atomic():
        for kind, value in channels.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": value})
