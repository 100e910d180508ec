"""Reads of bill rates: which rate an hour of a person on a project on a date is billed at, and where it came from.

The rate is the most specific one valid on the date, in the project's currency:

1. the person's job role's override for that project (``BillRate`` with ``project``);
2. else the role's override for the project's client (``BillRate`` with ``client``);
3. else the role's rate card (``BillRate`` with neither);
4. else the person's own bill rate (``teams.MemberRate.bill_rate``) valid on the date, when it is in the
   project's currency and more than zero (a person's rate row must hold a bill rate: 0 there means none).

A card in another currency is never taken (nor converted): an hour is billed in
its project's currency. Nothing valid: no rate (a visible gap on the entry, not
an error). A person without a job role goes straight to their own rate.

Resolution reads the bill rates of a whole batch in one query (none when no
person of the batch has a job role); the person's own rate is the caller's,
who reads it anyway to cost the hour (``projects.budget.services.costs``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q

from projects.models import BillRate, RateSource
from teams.models import MemberRate

if TYPE_CHECKING:
    from projects.models import Project
    from teams.models import TeamMember


@dataclass(frozen=True)
class RateQuestion:
    """An hour of ``member`` on ``project`` on ``on``; ``own`` is the person's ``MemberRate`` valid on ``on``
    (None when none is), which the caller has read to cost the hour."""

    member: TeamMember
    project: Project
    on: dt.date
    own: MemberRate | None


@dataclass(frozen=True)
class ResolvedRate:
    """The bill rate per hour (None: no rate applies) in ``currency`` (the project's), where it came from
    (a :class:`~projects.models.RateSource` value, "" when none) and the ``BillRate`` row it came from (None for
    the person's own rate or no rate)."""

    rate: Decimal | None
    currency: str
    source: str
    bill_rate: BillRate | None = None

    @property
    def found(self) -> bool:
        return self.rate is not None


def _valid_on(row: BillRate, on: dt.date) -> bool:
    return row.valid_from <= on and (row.valid_to is None or row.valid_to >= on)


def _latest(rows: list[BillRate]) -> BillRate | None:
    """The row that started last (the highest id among equals): validity periods of one series do not
    overlap when written through ``projects.billing.services``, so this only settles rows that do."""
    return max(rows, key=lambda row: (row.valid_from, row.pk), default=None)


def _candidates(questions: Sequence[RateQuestion]) -> list[BillRate]:
    """Every ``BillRate`` that may answer one of ``questions``: one query, none when no one has a job role."""
    asked = [q for q in questions if q.member.job_role_id is not None]
    if not asked:
        return []
    first = min(q.on for q in asked)
    last = max(q.on for q in asked)
    scopes = (
        Q(project__isnull=True, client__isnull=True)
        | Q(project_id__in={q.project.pk for q in asked})
        | Q(client_id__in={q.project.client_id for q in asked if q.project.client_id is not None})
    )
    return list(
        BillRate.objects.filter(
            scopes,
            job_role_id__in={q.member.job_role_id for q in asked},
            currency__in={q.project.currency for q in asked},
            valid_from__lte=last,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .order_by()
    )


def bill_rates_resolve(questions: Sequence[RateQuestion]) -> list[ResolvedRate]:
    """The bill rate of each of ``questions``, in their order (the module's docstring says which).

    One query whatever their number (none when no person has a job role):
    the timesheet grid resolves a week of cells at once.
    """
    by_series: dict[tuple[int, str], list[BillRate]] = defaultdict(list)
    for row in _candidates(questions):
        by_series[(row.job_role_id, row.currency)].append(row)
    answers = []
    for q in questions:
        currency = q.project.currency
        valid = [row for row in by_series.get((q.member.job_role_id or 0, currency), []) if _valid_on(row, q.on)]
        steps = (
            (RateSource.PROJECT, [r for r in valid if r.project_id == q.project.pk]),
            (RateSource.CLIENT, [r for r in valid if r.client_id is not None and r.client_id == q.project.client_id]),
            (RateSource.ROLE, [r for r in valid if r.project_id is None and r.client_id is None]),
        )
        answer = next(
            (
                ResolvedRate(rate=chosen.rate, currency=currency, source=source, bill_rate=chosen)
                for source, rows in steps
                if (chosen := _latest(rows)) is not None
            ),
            None,
        )
        if answer is None:
            own = q.own
            if own is not None and own.currency == currency and own.bill_rate > 0:
                answer = ResolvedRate(rate=own.bill_rate, currency=currency, source=RateSource.PERSON)
            else:
                answer = ResolvedRate(rate=None, currency=currency, source="")
        answers.append(answer)
    return answers


def bill_rate_resolve(*, member: TeamMember, project: Project, on: dt.date, own: MemberRate | None) -> ResolvedRate:
    """The bill rate of an hour of ``member`` on ``project`` on ``on`` (``own``: the person's ``MemberRate``
    valid on ``on``, or None). At most one query; see :func:`bill_rates_resolve`."""
    return bill_rates_resolve([RateQuestion(member=member, project=project, on=on, own=own)])[0]


def member_rates_on(*, member_id: int, days: Iterable[dt.date]) -> dict[dt.date, MemberRate | None]:
    """The rate of member ``member_id`` valid on each of ``days`` (None where none is): what
    ``teams.selectors.member_rate_on`` answers for one day (the latest start wins), in one query for them all."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    rows = list(
        MemberRate.objects.filter(member_id=member_id, valid_from__lte=wanted[-1])
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=wanted[0]))
        .order_by("-valid_from")
    )
    return {
        day: next((r for r in rows if r.valid_from <= day and (r.valid_to is None or r.valid_to >= day)), None)
        for day in wanted
    }
