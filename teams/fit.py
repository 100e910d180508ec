"""Skill fit, availability and the staffing ranking. Pure arithmetic: no database, no projects.

Skill fit (percent 0-100) is the share of required level-points a person
covers: ``Σ min(level_s, min_s) / Σ min_s`` over the required skills ``s``
(a skill the person lacks has level 0). A skill that needs level 4 thus
weighs twice one that needs level 2; levels above the minimum earn nothing
more, levels below earn part. Raising a level never lowers the fit.

Availability (percent 0-100) is the share of the role's needed hours the
person has free, week by week: ``Σ_w min(free_w, need_w) / Σ_w need_w``,
where ``free_w = max(0, capacity_w - confirmed_w)`` (``teams.capacity``).
Adding a confirmed booking never raises it.

The ranking score is ``fit * availability`` (both as fractions): a person
needs both the skills and the time. Ties are broken by fit (desc), then
free hours over the role's weeks (desc), then name (case-insensitive,
asc), then id (asc); so the order is the same for the same data, whatever
order the people come in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from teams.capacity import ZERO, WeekLoad

DASH = "\u2013"  # en dash, for week ranges


@dataclass(frozen=True, slots=True)
class Requirement:
    """A skill an open role needs, at ``min_level`` (1-5) or better; ``name`` for reasons."""

    skill_id: int
    min_level: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class Fit:
    """How well levels cover requirements: level-points ``covered`` of ``required``; ``met`` of ``total`` skills."""

    covered: int
    required: int
    met: int
    total: int
    short: tuple[tuple[str, int, int], ...] = ()  # (skill name, level held, level needed), in requirement order

    @property
    def fraction(self) -> Fraction:
        """Covered share as an exact fraction (1 when nothing is required)."""
        return Fraction(self.covered, self.required) if self.required else Fraction(1)

    @property
    def percent(self) -> int:
        """Covered share as a whole percent 0-100 (half up)."""
        return int((Decimal(self.fraction.numerator) * 100 / self.fraction.denominator).quantize(1, ROUND_HALF_UP))


def skill_fit(*, requirements: Sequence[Requirement], levels: Mapping[int, int]) -> Fit:
    """Fit of a person whose levels are ``levels`` (skill id → 1-5) to ``requirements``."""
    covered = required = met = 0
    short = []
    for req in requirements:
        level = levels.get(req.skill_id, 0)
        covered += min(level, req.min_level)
        required += req.min_level
        if level >= req.min_level:
            met += 1
        else:
            short.append((req.name, level, req.min_level))
    return Fit(covered=covered, required=required, met=met, total=len(requirements), short=tuple(short))


@dataclass(frozen=True, slots=True)
class Availability:
    """Free hours against needed hours over the role's weeks (``loads`` and ``needs`` align)."""

    loads: tuple[WeekLoad, ...]
    needs: tuple[Decimal, ...]

    @property
    def usable(self) -> Decimal:
        """Hours the person can give the role: Σ min(free, need)."""
        return sum((min(load.free, need) for load, need in zip(self.loads, self.needs, strict=True)), ZERO)

    @property
    def needed(self) -> Decimal:
        return sum(self.needs, ZERO)

    @property
    def free_total(self) -> Decimal:
        """Free hours over all the role's weeks (never below zero in any week)."""
        return sum((load.free for load in self.loads), ZERO)

    @property
    def fraction(self) -> Fraction:
        needed = self.needed
        return Fraction(self.usable) / Fraction(needed) if needed else Fraction(1)

    @property
    def percent(self) -> int:
        frac = self.fraction
        return int((Decimal(frac.numerator) * 100 / frac.denominator).quantize(1, ROUND_HALF_UP))

    @property
    def over_weeks(self) -> list[int]:
        """1-based numbers of the role's weeks in which the person is over-allocated."""
        return [i for i, load in enumerate(self.loads, 1) if load.over]


def availability(*, loads: Sequence[WeekLoad], needs: Sequence[Decimal]) -> Availability:
    """Pair a person's week loads with the role's needed hours per week (same weeks, same order)."""
    if len(loads) != len(needs):
        raise ValueError("loads and needs must cover the same weeks")
    return Availability(loads=tuple(loads), needs=tuple(needs))


@dataclass(frozen=True, slots=True)
class Person:
    """What the ranking knows of a person: id, name, levels (skill id → 1-5) and week loads."""

    id: int
    name: str
    levels: Mapping[int, int]
    loads: Sequence[WeekLoad]
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A ranked candidate: ``rank`` (1-based), fit, availability, score (percent) and reason."""

    rank: int
    person: Person
    fit: Fit
    availability: Availability
    score: int
    reason: str


def _ranges(numbers: Iterable[int]) -> str:
    """``[3, 4, 5, 7]`` → ``"3\u20135, 7"``."""
    parts: list[str] = []
    run: list[int] = []
    for n in numbers:
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(f"{run[0]}{DASH}{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        parts.append(f"{run[0]}{DASH}{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(parts)


def _weeks(numbers: list[int]) -> str:
    return ("week " if len(numbers) == 1 else "weeks ") + _ranges(numbers)


def _hours(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1'), ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


def explain(*, fit: Fit, avail: Availability, requirements: Sequence[Requirement]) -> str:
    """A plain-language reason, e.g. "has 4/5 skills at level ≥3 (short: SQL 1/3); 12 h/week
    free in weeks 3-6; over-booked in week 7"."""
    mins = {req.min_level for req in requirements}
    at = f"at level ≥{mins.pop()}" if len(mins) == 1 else "at the level needed"
    parts = [f"has {fit.met}/{fit.total} skills {at}" if fit.total else "no skills required"]
    if fit.short:
        shown = ", ".join(f"{name} {held}/{need}" if held else f"{name} none" for name, held, need in fit.short[:3])
        more = f" and {len(fit.short) - 3} more" if len(fit.short) > 3 else ""
        parts[0] += f" (short: {shown}{more})"
    weeks = list(zip(avail.loads, avail.needs, strict=True))
    if not weeks:
        parts.append("no weeks to staff")
    elif all(load.free >= need for load, need in weeks):
        parts.append(f"free for all {len(weeks)} week{'s' if len(weeks) > 1 else ''}")
    else:
        # Group consecutive short weeks by their free hours: "12 h/week free in weeks 3-6".
        groups: dict[Decimal, list[int]] = {}
        for n, (load, need) in enumerate(weeks, 1):
            if load.free < need:
                groups.setdefault(load.free, []).append(n)
        full = [n for n, (load, need) in enumerate(weeks, 1) if load.free >= need]
        if full:
            parts.append(f"free as needed in {_weeks(full)}")
        for free, numbers in sorted(groups.items(), key=lambda item: item[1][0])[:3]:
            text = f"{_hours(free)} h/week free" if free else "no time"
            parts.append(f"{text} in {_weeks(numbers)}")
        if len(groups) > 3:
            parts.append("less elsewhere")
    over = avail.over_weeks
    if over:
        parts.append(f"over-booked in {_weeks(over)}")
    away = [n for n, load in enumerate(avail.loads, 1) if load.away]
    if away:
        parts.append(f"time off in {_weeks(away)}")
    tentative = [n for n, load in enumerate(avail.loads, 1) if load.tentative > 0]
    if tentative:
        parts.append(f"tentatively booked in {_weeks(tentative)}")
    return "; ".join(parts)


def rank_candidates(
    *,
    people: Iterable[Person],
    requirements: Sequence[Requirement],
    needs: Sequence[Decimal],
    limit: int | None = None,
    min_fit: int = 1,
) -> list[Suggestion]:
    """Rank ``people`` for a role needing ``requirements`` and ``needs`` hours per role week.

    Each person's ``loads`` must cover the role's weeks, in order. People
    whose fit is below ``min_fit`` percent are left out. Order: score desc,
    fit desc, free hours desc, name (case-insensitive) asc, id asc — see the
    module docstring. Returns at most ``limit`` suggestions (all when None).
    """
    scored = []
    for person in people:
        fit = skill_fit(requirements=requirements, levels=person.levels)
        if fit.percent < min_fit:
            continue
        avail = availability(loads=person.loads, needs=needs)
        score = fit.fraction * avail.fraction
        key = (-score, -fit.fraction, -avail.free_total, person.name.casefold(), person.id)
        scored.append((key, person, fit, avail, score))
    scored.sort(key=lambda item: item[0])
    if limit is not None:
        scored = scored[:limit]
    return [
        Suggestion(
            rank=rank,
            person=person,
            fit=fit,
            availability=avail,
            score=int((Decimal(score.numerator) * 100 / score.denominator).quantize(1, ROUND_HALF_UP)),
            reason=explain(fit=fit, avail=avail, requirements=requirements),
        )
        for rank, (_key, person, fit, avail, score) in enumerate(scored, 1)
    ]


def week_label(week: dt.date) -> str:
    """ISO week label, e.g. ``2025-W14``."""
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"
