"""Writes of the teams app. Refusals are ``apm.errors.Refused``, changing nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model

from apm import validation
from apm.errors import Refused
from teams.importers.onet import read_onet
from teams.models import JobRole, MemberRate, Skill, SkillCategory, SkillCategoryKind, TeamMember

M = TypeVar("M", bound=Model)


def member_rate_set(
    *,
    member: TeamMember,
    cost_rate: Decimal,
    bill_rate: Decimal,
    valid_from: dt.date,
    currency: str = "GBP",
) -> MemberRate:
    """Give ``member`` new hourly rates from ``valid_from`` on, keeping the history.

    The rate open at ``valid_from`` is closed the day before; past rows are
    never rewritten, so costs already incurred keep their rate. Raises
    ``Refused`` for negative rates, a value the model refuses (more than 8
    digits before the decimal point, a currency code longer than 3 letters),
    or when a later rate already starts on or after ``valid_from`` (change
    that one instead).
    """
    if cost_rate < 0 or bill_rate < 0:
        raise Refused("Rates cannot be negative.")
    rate = MemberRate(
        member=member, cost_rate=cost_rate, bill_rate=bill_rate, currency=currency.upper(), valid_from=valid_from
    )
    validation.clean(rate)
    with transaction.atomic():
        rates = MemberRate.objects.select_for_update().filter(member=member)
        if rates.filter(valid_from__gte=valid_from).exists():
            raise Refused(f"{member} already has a rate starting on or after {valid_from:%d %b %Y}.")
        rates.filter(valid_to__isnull=True).update(valid_to=valid_from - dt.timedelta(days=1))
        rates.filter(valid_to__gte=valid_from).update(valid_to=valid_from - dt.timedelta(days=1))
        rate.save(force_insert=True)
    return rate


@dataclass
class CatalogueImportSummary:
    """Counts of one catalogue import: rows created and updated per kind (unchanged rows are not counted)."""

    categories_created: int = 0
    categories_updated: int = 0
    skills_created: int = 0
    skills_updated: int = 0
    roles_created: int = 0
    roles_updated: int = 0

    @property
    def changed(self) -> bool:
        return any(vars(self).values())

    def __str__(self) -> str:
        return (
            f"categories: {self.categories_created} created, {self.categories_updated} updated; "
            f"skills: {self.skills_created} created, {self.skills_updated} updated; "
            f"roles: {self.roles_created} created, {self.roles_updated} updated"
        )


def _sync(
    model: type[M], rows: list[dict[str, Any]], key: str, existing: Mapping[Any, M], fields: list[str]
) -> tuple[int, int]:
    """Create rows whose ``key`` is new, update the ``fields`` that differ; returns (created, updated)."""
    new: list[M] = []
    changed: list[M] = []
    for row in rows:
        obj = existing.get(row[key] if key != "name" else row[key].upper())
        if obj is None:
            new.append(model(**row))
            continue
        if any(getattr(obj, name) != row[name] for name in fields):
            for name in fields:
                setattr(obj, name, row[name])
            changed.append(obj)
    model._default_manager.bulk_create(new, batch_size=1000)
    if changed:
        model._default_manager.bulk_update(changed, fields, batch_size=1000)
    return len(new), len(changed)


def skill_catalogue_import_onet(*, directory: Path) -> CatalogueImportSummary:
    """Load the O*NET skill groups, 35 skills, technologies (by commodity) and occupations from ``directory``.

    Idempotent: a row is matched by name (categories, skills; case-insensitive
    for skills) or O*NET-SOC code (roles) and only updated when a field
    differs, so a second run changes nothing. Our own categories and skills
    are never touched; an O*NET skill whose name matches one of ours keeps
    our category. All or nothing (one transaction). Raises ``OnetFormatError``
    (from ``teams.importers.onet``) when a file or column is missing.
    """
    catalogue = read_onet(directory)
    summary = CatalogueImportSummary()
    with transaction.atomic():
        categories = {c.name.upper(): c for c in SkillCategory.objects.all()}
        rows: list[dict[str, Any]] = [
            {"name": c.name, "kind": c.kind, "source_code": c.source_code, "description": c.description}
            for c in catalogue.categories
        ]
        ours = {name for name, c in categories.items() if c.kind == SkillCategoryKind.CUSTOM}
        rows = [row for row in rows if row["name"].upper() not in ours]
        summary.categories_created, summary.categories_updated = _sync(
            SkillCategory, rows, "name", categories, ["kind", "source_code", "description"]
        )
        category_ids = dict(SkillCategory.objects.values_list("name", "pk"))
        skills = {s.name.upper(): s for s in Skill.objects.select_related("category")}
        custom = {name for name, s in skills.items() if s.category.kind == SkillCategoryKind.CUSTOM}
        rows = [
            {
                "name": s.name,
                "category_id": category_ids[s.category],
                "source_code": s.source_code,
                "description": s.description,
                "hot_technology": s.hot_technology,
            }
            for s in catalogue.skills
            if s.name.upper() not in custom
        ]
        summary.skills_created, summary.skills_updated = _sync(
            Skill, rows, "name", skills, ["category_id", "source_code", "description", "hot_technology"]
        )
        roles = {r.code: r for r in JobRole.objects.exclude(code=None)}
        rows = [{"code": r.code, "title": r.title, "description": r.description} for r in catalogue.roles]
        summary.roles_created, summary.roles_updated = _sync(JobRole, rows, "code", roles, ["title", "description"])
    return summary
