"""What the bad-input properties found, kept as plain tests (each failed before its fix)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import ContingencyRequest, ProjectBudget
from tests.badinput.conftest import changed_rows, row_prints

pytestmark = pytest.mark.django_db


def test_it_refuses_a_standard_id_too_large_for_the_database(client, world, pm):
    # Was: OverflowError (Python int too large to convert to SQLite INTEGER) from ModelMultipleChoiceField's pk__in.
    client.force_login(pm)
    before = row_prints()
    response = client.post(reverse("projects:quality", args=["ALPHA-1"]), {"standards": [str(2**63)]})
    assert response.status_code == 200
    assert changed_rows(before, row_prints()) == {}


@pytest.mark.parametrize("huge", [str(2**63), str(2**64), "-1", "0"])
def test_it_refuses_out_of_range_ids_in_every_multiple_choice(client, world, pm, huge):
    client.force_login(pm)
    before = row_prints()
    code = "ALPHA-1"
    posts = [
        (
            reverse("projects:deliverable_create", args=[code]),
            {"name": "D", "due_date": "2025-05-01", "depends_on": [huge]},
        ),
        (reverse("projects:change_create", args=[code]), {"title": "C", "affected_deliverables": [huge]}),
        (
            reverse("projects:correspondence_create", args=[code]),
            {"subject": "S", "documents": [huge], "clauses": [huge]},
        ),
        (reverse("projects:letter_create", args=[code]), {"subject": "S", "documents": [huge], "clauses": [huge]}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (200, 400), url
    assert changed_rows(before, row_prints()) == {}


def test_it_leaves_no_budget_row_behind_when_a_contingency_request_is_refused(client, world, pm):
    # Was: budget_get() created the project's ProjectBudget row before refusing an amount above the reserve.
    client.force_login(pm)
    assert not ProjectBudget.objects.filter(project=world["alpha_project"]).exists()
    response = client.post(
        reverse("projects:contingency_request", args=["ALPHA-1"]),
        {"contingency-amount": "173", "contingency-category": "travel", "contingency-reason": "more trains"},
    )
    assert response.status_code == 302
    assert not ProjectBudget.objects.filter(project=world["alpha_project"]).exists()
    assert not ContingencyRequest.objects.exists()
    assert ProjectBudget(project=world["alpha_project"]).contingency_reserve == Decimal("0")


def test_it_skips_a_gmpp_row_whose_amount_is_too_large_and_imports_the_rest(tmp_path):
    # Was: decimal.InvalidOperation from parse_money's quantize, which stopped the whole import.
    from django.core.management import CommandError, call_command

    from projects.models import Project

    path = tmp_path / "portfolio_2023.csv"
    path.write_text(
        "year;project_name;department;total_baseline\n"
        "2023;Too Big;DPW;99999999999999999999999999999999999999\n"
        "2023;Just Right;DPW;£41.20\n",
        encoding="cp1252",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 row refused"):
        call_command("import_portfolio", "--format", "gmpp", str(path), stdout=out)
    assert "line 2: budget_period: too large an amount" in out.getvalue()
    assert list(Project.objects.values_list("name", flat=True)) == ["Just Right"]


def test_it_refuses_a_username_longer_than_any_user_can_have(client, db):
    # Was: a 500 on PostgreSQL (django-axes stores the failed username in 255 characters).
    from apm.accounts.models import AuditEvent

    before = AuditEvent.objects.count()
    response = client.post(reverse("login"), {"username": "x" * 400, "password": "x" * 400})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert AuditEvent.objects.count() == before


def write_onet(folder, *, elements: str, occupations: str = "") -> None:
    """An O*NET catalogue in ``folder``: each file's header line, then the given text (no technology skills)."""
    (folder / "Content Model Reference.txt").write_text(
        "Element ID\tElement Name\tDescription\r\n" + elements, encoding="utf-8"
    )
    (folder / "Technology Skills.txt").write_text(
        "O*NET-SOC Code\tExample\tCommodity Code\tCommodity Title\tHot Technology\r\n", encoding="utf-8"
    )
    (folder / "Occupation Data.txt").write_text(
        "O*NET-SOC Code\tTitle\tDescription\r\n" + occupations, encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("name", "message"), [("Ω" * 5000, "longer than 200 characters"), ("a\x00b", "NUL characters")]
)
def test_it_refuses_an_onet_catalogue_the_database_cannot_hold(tmp_path, db, name, message):
    # Was: a 5,000-character group name stored on SQLite (failing full_clean) and a DataError on PostgreSQL.
    from django.core.management import CommandError, call_command

    from teams.models import Skill, SkillCategory

    write_onet(tmp_path, elements=f"2.A.1\t{name}\td\r\n2.A.1.a\tReading\td\r\n")
    with pytest.raises(CommandError, match=message):
        call_command("import_skills", "--format", "onet", str(tmp_path), stdout=io.StringIO())
    assert not SkillCategory.objects.exists()
    assert not Skill.objects.exists()


def test_it_refuses_an_onet_catalogue_naming_a_skill_group_twice(tmp_path, db):
    # Was: IntegrityError escaping the import (skill group names are unique).
    from django.core.management import CommandError, call_command

    from teams.models import SkillCategory

    write_onet(tmp_path, elements="2.A.1\tBasic Skills\td\r\n2.A.2\tbasic skills\td\r\n")
    with pytest.raises(CommandError, match="'basic skills' appears twice"):
        call_command("import_skills", "--format", "onet", str(tmp_path), stdout=io.StringIO())
    assert not SkillCategory.objects.exists()


def test_it_reads_a_short_onet_line_as_blanks(tmp_path, db):
    # Was: KeyError 'Title' escaping the import when a stray line break left a line with fewer columns.
    from django.core.management import call_command

    from teams.models import JobRole

    write_onet(
        tmp_path,
        elements="2.A.1\tBasic Skills\td\r\n2.A.1.a\tReading\td\r\n",
        occupations="11-1011.00\tChief Executives\tRun it\n0\r\n",
    )
    call_command("import_skills", "--format", "onet", str(tmp_path), stdout=io.StringIO())
    assert list(JobRole.objects.values_list("title", flat=True)) == ["Chief Executives"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\r\x00", "line 1: cannot parse the file read as cp1252"),
        (b"year;project_name;department\n2023;Null\x00Name;DPW\n2023;Fine;DPW\n", "line 2: the row contains NUL"),
    ],
)
def test_it_refuses_nul_bytes_in_a_gmpp_file_cleanly(tmp_path, db, content, expected):
    # Was: csv.Error escaping read_header ("new-line character seen in unquoted field"), and on PostgreSQL
    # a ValueError (NUL in a text column) escaping the per-row import.
    from django.core.management import CommandError, call_command

    from projects.models import Project

    path = tmp_path / "uk_2023.csv"
    path.write_bytes(content)
    out = io.StringIO()
    try:
        call_command("import_portfolio", "--format", "gmpp", str(path), stdout=out)
    except CommandError as exc:
        out.write(str(exc))
    assert expected in out.getvalue()
    assert list(Project.objects.values_list("name", flat=True)) == (["Fine"] if b"Fine" in content else [])


@pytest.mark.parametrize("field", ["departments", "reporting_heads"])
def test_it_refuses_a_project_department_or_head_id_too_large_for_the_database(client, world, pm, field):
    # Was: OverflowError (SQLite) from the ModelForm's own ModelMultipleChoiceField.
    client.force_login(pm)
    before = row_prints()
    response = client.post(reverse("projects:edit", args=["ALPHA-1"]), {"name": "Alpha", field: [str(2**63)]})
    assert response.status_code == 200
    assert changed_rows(before, row_prints()) == {}
