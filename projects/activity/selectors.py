"""Reads of the activity feed: a page of a project's history, newest first, in a fixed number of queries.

Each kind of object (``projects.activity.kinds``) keeps its own history table; a page takes the newest
``PER_PAGE + 1`` rows before the cursor from each table (one query each, every row annotated with the id of
the row before it of the same object and whether the object still exists), the rows those name as their
previous ones (one query each, to say what changed), merges them in Python and keeps the newest
``PER_PAGE``; then the people named, in one query. So a page costs at most
``2 * len(KINDS) + 2`` queries (the last: the people who did anything on the project, for the filter),
however long the project's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from apm import access
from projects.activity.feed import Entry, entry_for, user_ids_named
from projects.activity.kinds import KIND_BY_KEY, KINDS, Kind

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Project

#: Entries a page shows.
PER_PAGE = 50


@dataclass(frozen=True)
class ActivityPage:
    """A page of the feed: ``entries`` newest first; ``older`` the cursor of the next page (the time of the
    last entry of this one, for ``before=``), None on the last page; ``people`` who did anything on the
    project (for the person filter), by name."""

    entries: list[Entry]
    older: dt.datetime | None
    people: list[User]


def _history(kind: Kind) -> QuerySet[Any]:
    model: Any = kind.model
    return model.history.model._default_manager.all()


def _rows(
    kind: Kind, *, project: Project, viewer: User, before: dt.datetime | None, person_id: int | None
) -> QuerySet[Any]:
    """The newest ``PER_PAGE + 1`` history rows of ``kind`` on ``project`` before ``before`` (by
    ``person_id`` when given), each with ``previous_id`` and ``exists_now`` (a comment's also with
    ``may_see``: ``viewer`` sees it, ``apm.access.see_comment``); a sliced queryset, one query."""
    rows = _history(kind).filter(**{kind.project: project.pk})
    if before is not None:
        rows = rows.filter(history_date__lt=before)
    if person_id is not None:
        rows = rows.filter(history_user_id=person_id)
    previous = (
        _history(kind)
        .filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    if kind.key == "comment":
        rows = rows.annotate(may_see=Exists(access.see_comment.queryset(viewer).filter(pk=OuterRef("id"))))
    return rows.annotate(
        previous_id=Subquery(previous),
        exists_now=Exists(kind.model._default_manager.filter(pk=OuterRef("id"))),
        **kind.annotations(),
    ).order_by("-history_date", "-history_id")[: PER_PAGE + 1]


def project_activity(
    *,
    project: Project,
    viewer: User,
    see_money: bool,
    kind: str = "",
    person_id: int | None = None,
    before: dt.datetime | None = None,
) -> ActivityPage:
    """The page of ``project``'s feed before ``before`` (a timezone-aware instant; None: the newest), of
    the kind keyed ``kind`` ("" or an unknown key: every kind) and by the user ``person_id`` (None: anyone).

    ``see_money`` (``apm.access.see_money`` of ``viewer`` on the project) shows changes of money fields;
    without it an entry whose only changes are money is left out. A comment's words are shown only where
    ``viewer`` sees the comment (``apm.access.see_comment``). At most
    ``2 * len(KINDS) + 2`` queries; see the module's docstring.
    """
    kinds = [KIND_BY_KEY[kind]] if kind in KIND_BY_KEY else list(KINDS)
    records: list[tuple[Kind, Any]] = []
    previous: dict[tuple[str, int], Any] = {}
    for each in kinds:
        rows = _rows(each, project=project, viewer=viewer, before=before, person_id=person_id)
        found = list(rows)
        records += [(each, record) for record in found]
        earlier = _history(each).filter(history_id__in=Subquery(rows.values("previous_id")))
        previous.update({(each.key, record.history_id): record for record in earlier})
    records.sort(key=lambda pair: (pair[1].history_date, pair[1].history_id), reverse=True)
    page, more = records[:PER_PAGE], len(records) > PER_PAGE
    built = [
        entry_for(
            each,
            record,
            previous.get((each.key, record.previous_id)),
            code=project.code,
            see_money=see_money,
        )
        for each, record in page
    ]
    entries = [entry for entry in built if entry is not None]
    people_ids = [
        _history(each).filter(**{each.project: project.pk}).order_by().values_list("history_user_id", flat=True)
        for each in KINDS
    ]
    known = {pk for pk in people_ids[0].union(*people_ids[1:]) if pk is not None}
    users = {user.pk: user for user in get_user_model()._default_manager.filter(pk__in=known | user_ids_named(entries))}
    for entry in entries:
        entry.name_people(users)
    people = sorted((users[pk] for pk in known if pk in users), key=lambda user: str(user).lower())
    return ActivityPage(entries=entries, older=page[-1][1].history_date if more else None, people=people)
