"""An entry of the activity feed, built from one history row (and the row before it): who, when, a sentence.

Pure: no query. The sentence is "<who> <verb> <object>[ <tail>]": "Ana Ruiz moved task T-12 'Draft brief'
from To do to In progress", "APM changed risk R-4 'Supplier late'" (no user: a system change), "Ana Ruiz
commented on deliverable D-4 'Brief'". The changed fields come from ``projects.common.history``; a user field
(an owner) is named once the people are loaded (:meth:`Entry.name_people`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, ForeignKey
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from projects.activity.kinds import Kind, comment_anchor, describe
from projects.common.history import history_changes

if TYPE_CHECKING:
    from apm.accounts.models import User

#: Characters of a comment's words an entry shows.
EXCERPT = 160
#: Words of a history's reason that an entry's sentence says already, in its verb ("Registered", "Now approved").
_SAID = frozenset(
    {"status", "now", "created", "added", "logged", "registered", "raised", "edited", "opened", "recorded"}
)


@dataclass
class Change:
    """One changed field: its label, and the old and new values as shown (None: said only as "changed")."""

    name: str
    label: str
    old: Any
    new: Any
    #: The ids of the users of a user field, named by :meth:`Entry.name_people`.
    old_user: int | None = None
    new_user: int | None = None
    #: A date and time field, such as the ``submitted_at`` a move stamps.
    stamp: bool = False


@dataclass
class Entry:
    """One line of the feed. ``what`` the object's noun and reference, ``title`` its name, ``url`` its page
    (empty once it is gone); ``tail`` ends the sentence; ``excerpt`` a comment's words."""

    at: dt.datetime
    kind: str
    user_id: int | None
    verb: str
    what: str
    title: str = ""
    url: str = ""
    tail: str = ""
    reason: str = ""
    excerpt: str = ""
    changes: list[Change] = field(default_factory=list)
    actor: str = "APM"

    @property
    def sentence(self) -> str:
        """The entry in words: "Ana Ruiz moved task T-12 'Draft brief' from To do to In progress"."""
        title = f" '{self.title}'" if self.title else ""
        tail = f" {self.tail}" if self.tail else ""
        return f"{self.actor} {self.verb} {self.what}{title}{tail}"

    @property
    def day(self) -> dt.date:
        """The day of the entry in the reader's time zone (the page heads each day's entries)."""
        return timezone.localdate(self.at)

    @property
    def note(self) -> str:
        """The reason the history gives, unless the sentence says all of it already ("Now approved" after
        "moved document 'Plan' from Under review to Approved"): only a reason that adds words is shown."""
        said = set(re.findall(r"\w+", self.sentence.lower())) | _SAID
        return "" if set(re.findall(r"\w+", self.reason.lower())) <= said else self.reason

    def name_people(self, users: dict[int, User]) -> None:
        """Name the actor and the users of changed user fields from ``users`` (by id); "APM" for no user."""
        self.actor = str(users[self.user_id]) if self.user_id in users else "APM"
        for change in self.changes:
            if change.old_user is not None:
                change.old = str(users.get(change.old_user, "a former user"))
            if change.new_user is not None:
                change.new = str(users.get(change.new_user, "a former user"))


def user_ids_named(entries: list[Entry]) -> set[int]:
    """The ids of the users ``entries`` name: actors and the values of user fields."""
    ids = {entry.user_id for entry in entries if entry.user_id is not None}
    for entry in entries:
        for change in entry.changes:
            ids |= {pk for pk in (change.old_user, change.new_user) if pk is not None}
    return ids


def _changes(kind: Kind, record: Any, previous: Any, *, see_money: bool) -> tuple[list[Change], bool]:
    """The changes worth an entry from ``previous`` to ``record``, and whether any change was left out
    because it is money the viewer may not see or quiet."""
    hidden = kind.quiet | (frozenset() if see_money else kind.money)
    user_model = get_user_model()
    changes, left_out = [], False
    for name, label, old, new in history_changes(record, previous, model=kind.model, many=False):
        if name in hidden:
            left_out = True
            continue
        model_field = kind.model._meta.get_field(name)
        if isinstance(model_field, ForeignKey):
            if model_field.related_model is user_model:
                changes.append(Change(name, label, None, None, old_user=old, new_user=new))
            else:  # another object, named by its id only: say that it changed
                changes.append(Change(name, label, None, None))
            continue
        changes.append(Change(name, label, old, new, stamp=isinstance(model_field, DateTimeField)))
    return changes, left_out


def entry_for(kind: Kind, record: Any, previous: Any | None, *, code: str, see_money: bool) -> Entry | None:
    """The entry of history row ``record`` of ``kind`` on the project ``code`` (``previous``: the row before it
    of the same object, None for the first), for a viewer who sees money or not (a comment's words only where
    its row says ``may_see``); None when nothing of it is for this viewer (a change of money only, without
    ``see_money``; a move within a board column). It links the object's page while the object exists
    (``exists_now``), or the page of what it belongs to."""
    if kind.key == "comment":
        return _comment_entry(record, previous, code=code)
    what, title, url_name, arguments = describe(kind, record)
    alive = record.exists_now or not kind.links_self
    entry = Entry(
        at=record.history_date,
        kind=kind.key,
        user_id=record.history_user_id,
        verb="changed",
        what=what,
        title=title,
        reason=record.history_change_reason or "",
        url=reverse(url_name, kwargs={"code": code, **arguments}) if alive else "",
    )
    if record.history_type == "+":
        entry.verb = kind.created
        return entry
    if record.history_type == "-":
        entry.verb = kind.deleted
        return entry
    if previous is None:  # its earlier history was removed: say it changed, not what
        return entry
    changes, left_out = _changes(kind, record, previous, see_money=see_money)
    if not changes and left_out:
        return None
    status = next((change for change in changes if change.name == "status"), None)
    if status is not None:
        entry.verb = "moved"
        entry.tail = f"from {status.old} to {status.new}"
        # The times a move stamps (submitted, closed) are the entry's own time: not listed again.
        changes = [change for change in changes if change is not status and not change.stamp]
    entry.changes = changes
    return entry


def _comment_entry(record: Any, previous: Any | None, *, code: str) -> Entry | None:
    anchor = comment_anchor(record)
    if anchor is None:
        return None
    what, title, url_name, arguments = anchor
    entry = Entry(
        at=record.history_date,
        kind="comment",
        user_id=record.history_user_id,
        verb="commented on",
        what=what,
        title=title,
        url=reverse(url_name, kwargs={"code": code, **arguments}),
    )
    deleted_now = record.deleted_at is not None and (previous is None or previous.deleted_at is None)
    if record.history_type == "-" or deleted_now:
        entry.verb = "deleted a comment on"
        return entry
    if record.history_type == "~":
        entry.verb = "edited a comment on"
    if record.visibility == "client":
        entry.tail = "(visible to the client)"
    if record.may_see and record.deleted_at is None:
        entry.excerpt = Truncator(record.body).chars(EXCERPT)
    return entry
