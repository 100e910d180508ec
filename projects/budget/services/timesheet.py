"""Writes of the weekly timesheet grid: one person's hours per project and day, saved all at once.

A cell of the grid is one entry per person, project and day: a value creates
the entry (the save's new entries costed together, in a fixed number of
queries, by :func:`~projects.budget.services.costs.time_entries_costed`), a
changed value changes its hours (and its cost and bill amount, at the rates
stored with it), an empty cell removes it; a cell not sent is left alone. A
cell holding several entries (logged one by one with notes) is not the
grid's to change. A save carries the hours each cell showed when the
page was loaded and is refused when one has changed since (optimistic
concurrency: a second tab or an entry logged meanwhile is never overwritten).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from apm.errors import Refused
from projects.budget import figures
from projects.budget.selectors.time import cell_label
from projects.budget.services.approval import locked_reason
from projects.budget.services.checks import budget_check
from projects.budget.services.costs import (
    NewTime,
    TimeRefused,
    day_hours_check,
    time_entries_costed,
    time_entry_rehour,
)
from projects.budget.services.events import budget_event_record
from projects.models import Project, TimeEntry
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User


@dataclass
class WeekSaved:
    """What a grid save did: entries added, changed and removed."""

    added: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@transaction.atomic
def timesheet_week_save(
    *,
    member: TeamMember,
    cells: Mapping[tuple[Project, dt.date], Decimal | None],
    loaded: Mapping[tuple[Project, dt.date], Decimal | None] | None = None,
    actor: User | None = None,
) -> WeekSaved:
    """Save ``member``'s hours for the grid's ``cells`` ((project, day) -> hours, None or 0 for none);
    days and projects not in ``cells`` are left as they are.

    ``loaded`` holds, for cells of ``cells``, the hours the cell showed when
    the grid was loaded (None: empty); a cell whose stored hours differ now
    was changed meanwhile, and the save is refused naming it. A cell without
    a loaded value is not checked.

    All or nothing: raises ``Refused`` (its message naming the cell or day)
    and writes nothing when a cell changed since it was loaded, a value is out of range (0.25-24 h), a day's hours
    over all projects would pass 24 (a day the save changes), the member is not on a project's team or
    has no cost rate on a day (for a new entry), a cell holds several
    entries (they are changed in the detailed list), or a cell's entry is
    submitted or approved (``approval.locked_reason``). Each project whose time
    changed gets its budget re-checked once, and an audit entry when entries
    were changed or removed.
    """
    if not cells:
        return WeekSaved()
    # Serialise saves of one person's week, so two tabs cannot both pass the 24-hour check.
    TeamMember.objects.select_for_update().filter(pk=member.pk).first()
    days = sorted({day for _, day in cells})
    existing: dict[tuple[int, dt.date], list[TimeEntry]] = defaultdict(list)
    for entry in TimeEntry.objects.filter(member=member, date__gte=days[0], date__lte=days[-1]).order_by("pk"):
        existing[(entry.project_id, entry.date)].append(entry)
    _refuse_stale_cells(cells=cells, loaded=loaded or {}, existing=existing)
    done = WeekSaved()
    touched: dict[int, Project] = {}
    changed_cells: list[tuple[Project, dt.date]] = []
    removed_hours: dict[int, Decimal] = defaultdict(Decimal)
    changed_hours: dict[int, Decimal] = defaultdict(Decimal)
    new: list[NewTime] = []  # cells without an entry yet, costed together below
    # One refresh of each project's figures for the whole week, before its budget is checked.
    with figures.deferred():
        for (project, day), value in sorted(cells.items(), key=lambda item: (item[0][0].code, item[0][1])):
            hours = value or Decimal(0)
            entries = existing.get((project.pk, day), [])
            if len(entries) > 1:
                if hours != sum((e.hours for e in entries), Decimal(0)):
                    raise Refused(
                        f"{cell_label(project, day)}: holds {len(entries)} entries; change them in the list of entries."
                    )
                continue
            old = entries[0] if entries else None
            if (old.hours if old else Decimal(0)) == hours:
                continue
            if old is not None and locked_reason(old):
                raise Refused(f"{cell_label(project, day)}: {locked_reason(old)}.")
            if old is None:
                new.append(NewTime(project=project, date=day, hours=hours))
                touched[project.pk] = project
                changed_cells.append((project, day))
                continue
            try:
                if not hours:
                    old.delete()
                    removed_hours[project.pk] += old.hours
                    done.removed += 1
                else:
                    was = old.hours
                    time_entry_rehour(entry=old, hours=hours).save(update_fields=["hours", "cost", "bill_amount"])
                    changed_hours[project.pk] += hours - was
                    done.changed += 1
            except Refused as exc:
                raise Refused(f"{cell_label(project, day)}: {exc.message}") from exc
            touched[project.pk] = project
            changed_cells.append((project, day))
        try:
            costed = time_entries_costed(member=member, entries=new, actor=actor)
        except TimeRefused as exc:
            raise Refused(f"{cell_label(exc.entry.project, exc.entry.date)}: {exc.message}") from exc
        for entry in costed:
            entry.save(force_insert=True)
        done.added += len(costed)
    day_hours_check(member=member, days=sorted({day for (_, day) in changed_cells}))
    for project in touched.values():
        if project.pk in removed_hours or project.pk in changed_hours:
            budget_event_record(
                project=project,
                actor=actor,
                action="time_changed",
                member=member.name,
                week=days[0],
                hours_removed=removed_hours.get(project.pk, Decimal(0)),
                hours_changed_by=changed_hours.get(project.pk, Decimal(0)),
            )
        budget_check(project=project)
    return done


def _refuse_stale_cells(
    *,
    cells: Mapping[tuple[Project, dt.date], Decimal | None],
    loaded: Mapping[tuple[Project, dt.date], Decimal | None],
    existing: Mapping[tuple[int, dt.date], list[TimeEntry]],
) -> None:
    """Raise ``Refused`` naming the cells of ``cells`` whose stored hours (``existing``) are no longer
    the ones ``loaded`` says the page showed."""
    stale = [
        (project, day)
        for project, day in sorted(cells, key=lambda key: (key[0].code, key[1]))
        if (project, day) in loaded
        and (loaded[(project, day)] or Decimal(0))
        != sum((e.hours for e in existing.get((project.pk, day), [])), Decimal(0))
    ]
    if stale:
        names = ", ".join(f"{day:%a} {day.day} {day:%b} on {project.code}" for project, day in stale)
        raise Refused(
            f"{names} changed since you opened the week: reload the page to see the hours saved now, "
            "then enter yours again."
        )


@transaction.atomic
def time_entry_remove(*, member: TeamMember, entry_id: int, actor: User | None = None) -> TimeEntry:
    """Remove ``member``'s own entry ``entry_id`` (one of several in a day's cell, which the grid leaves alone, or
    a rejected one to log again); the entry removed. The project's budget is checked again and the removal is
    in its history.

    Raises ``Refused`` when the entry is not the person's (or is gone), or is submitted or approved
    (``approval.locked_reason``).
    """
    TeamMember.objects.select_for_update().filter(pk=member.pk).first()
    entry = TimeEntry.objects.select_related("project").filter(member=member, pk=entry_id).first()
    if entry is None:
        raise Refused("No such entry of yours: reload the page.")
    if locked_reason(entry):
        raise Refused(f"{cell_label(entry.project, entry.date)}: {locked_reason(entry)}.")
    entry.delete()
    budget_event_record(
        project=entry.project,
        actor=actor,
        action="time_changed",
        member=member.name,
        week=entry.date - dt.timedelta(days=entry.date.weekday()),
        hours_removed=entry.hours,
        hours_changed_by=Decimal(0),
    )
    budget_check(project=entry.project)
    return entry
