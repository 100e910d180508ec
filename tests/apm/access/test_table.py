"""The README's table "Who may do what" is the specification: the policy must answer every cell as it says.

The table is written by hand. This test reads it, builds a world of exactly
its relationships to one project (``tests/access_world.py``), evaluates each
capability of ``apm.access`` for each relationship on the row's object, and
compares, cell by cell. Every capability of the policy has a row, so a new
capability cannot be added without saying, in the README, who has it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from apm import access
from reports.models import Scope
from tests.access_world import RELATIONSHIPS, World, build_world, populate

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"

#: Which object a row's "(on what)" names, as a key of the world's own side (or project / department).
QUALIFIERS = {
    "an internal document": "internal_document",
    "a document shared with the client": "document",
    "an internal report": "internal_report",
    "a client report": "client_report",
    "an internal schedule": "internal_schedule",
    "a client schedule": "client_schedule",
    "of an internal report": "delivery",
    "the client's contact": "contact",
    "a person": "person",
    "an audit event": "audit_event",
    "the head's import job": "import_job",
    "a time entry": "time_entry",
    "an issued invoice": "issued_invoice",
    "a draft invoice": "draft_invoice",
    "an internal comment": "internal_comment",
    "a client-visible comment": "client_comment",
}
#: The object of a row without a qualifier, by the capability's subject.
SUBJECTS = {"project": "project", "department": "department", "share link": "share_link", "client": "client"}


def readme_table() -> tuple[list[str], dict[str, list[bool]]]:
    """The table's column headers (relationships) and its rows: "capability (on what)" -> cells (True for ✓)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| capability (on what)"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows: dict[str, list[bool]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(header), f"README table row has {len(cells)} cells, not {len(header)}: {line}"
        assert all(cell in ("✓", "—") for cell in cells[1:]), f"README table cells are ✓ or —: {line}"
        rows[cells[0]] = [cell == "✓" for cell in cells[1:]]
    return header[1:], rows


def parse_row(label: str) -> tuple[str, str | None]:
    """ "see_report (an internal report)" -> ("see_report", "an internal report"); qualifiers that only
    explain ("(budget, costs, ...)") are not objects."""
    match = re.fullmatch(r"(\w+)(?: \((.+)\))?", label)
    assert match, f"README table row label not understood: {label!r}"
    name, qualifier = match.groups()
    return name, qualifier if qualifier in QUALIFIERS else None


def subject_of(world: World, capability: access.Capability | access.Ability, qualifier: str | None):
    if isinstance(capability, access.Ability):
        return None
    if qualifier is not None:
        return world.own.subject(QUALIFIERS[qualifier])
    key = SUBJECTS.get(capability.subject)
    assert key is not None, f"say in the README which object {capability.name} is about: '(on what)'"
    return world.own.subject(key)


@pytest.fixture
def world(db) -> World:
    return populate(build_world())


def test_it_has_a_column_for_each_relationship_in_order():
    columns, _ = readme_table()
    assert len(columns) == len(RELATIONSHIPS)


def test_it_has_a_row_for_every_capability_of_the_policy():
    _, rows = readme_table()
    named = {parse_row(label)[0] for label in rows}
    assert named == set(access.CAPABILITIES), (
        f"not in the README: {sorted(set(access.CAPABILITIES) - named)}; "
        f"not in the policy: {sorted(named - set(access.CAPABILITIES))}"
    )


def test_it_answers_every_cell_as_the_readme_says(world):
    _, rows = readme_table()
    differences = []
    for label, cells in rows.items():
        name, qualifier = parse_row(label)
        capability = access.CAPABILITIES[name]
        obj = subject_of(world, capability, qualifier)
        for (key, words), expected in zip(RELATIONSHIPS, cells, strict=True):
            user = world.users[key]
            actual = capability.allows(user) if obj is None else capability.allows(user, obj)
            if actual != expected:
                differences.append(f"{label} / {words}: README says {expected}, the policy {actual}")
    assert differences == []


def test_it_lists_exactly_what_each_cell_allows(world):
    """A capability's queryset holds the row's object exactly when its predicate allows it (lists and checks agree)."""
    _, rows = readme_table()
    for label in rows:
        name, qualifier = parse_row(label)
        capability = access.CAPABILITIES[name]
        obj = subject_of(world, capability, qualifier)
        if obj is None:
            continue
        for key, words in RELATIONSHIPS:
            user = world.users[key]
            listed = capability.queryset(user).filter(pk=obj.pk).exists()
            assert listed == capability.allows(user, obj), f"{label} / {words}"


def test_it_spells_the_report_scopes_as_the_reports_app_does():
    assert {access.SCOPE_PROJECT, access.SCOPE_DEPARTMENT, access.SCOPE_PM_PORTFOLIO, access.SCOPE_COMPANY} == set(
        Scope.values
    )
