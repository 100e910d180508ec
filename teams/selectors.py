"""Reads of the teams app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from teams.models import MemberRate, MemberSkill, Skill, TeamMember


def member_rate_on(*, member_id: int, on: dt.date) -> MemberRate | None:
    """The rate of member ``member_id`` valid on date ``on``, or None when none is."""
    return (
        MemberRate.objects.filter(member_id=member_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )


@dataclass(frozen=True)
class MatrixRow:
    """One person of the skills matrix and their level (1-5, or None) in each column skill."""

    member: TeamMember
    levels: list[int | None]


def matrix_skills(*, members: QuerySet[TeamMember], skill_ids: list[int] | None = None, top: int = 25) -> list[Skill]:
    """The matrix's columns (one query): the skills ``skill_ids`` when given (by name), else the
    ``top`` skills held by most of ``members`` (ties by name)."""
    if skill_ids:
        return list(Skill.objects.filter(pk__in=skill_ids).order_by("name", "pk"))
    return list(
        Skill.objects.filter(member_skills__member__in=members.values("pk"))
        .annotate(holders=Count("member_skills"))
        .order_by("-holders", "name", "pk")[:top]
    )


def held_skills(*, members: QuerySet[TeamMember]) -> QuerySet[Skill]:
    """Skills at least one of ``members`` holds, by name (for the matrix's skill filter)."""
    return Skill.objects.filter(pk__in=MemberSkill.objects.filter(member__in=members.values("pk")).values("skill_id"))


def skills_matrix(*, members: list[TeamMember], skills: list[Skill]) -> list[MatrixRow]:
    """Rows of levels for ``members`` by ``skills`` (one query whatever their number)."""
    levels: dict[tuple[int, int], int] = {
        (member_id, skill_id): level
        # Unordered: the default ordering (by person and skill) joins both tables to sort what goes into a dict.
        for member_id, skill_id, level in MemberSkill.objects.filter(
            member__in=[m.pk for m in members], skill__in=[s.pk for s in skills]
        )
        .order_by()
        .values_list("member_id", "skill_id", "level")
    }
    return [MatrixRow(member=m, levels=[levels.get((m.pk, s.pk)) for s in skills]) for m in members]
