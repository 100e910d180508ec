"""Exports: a cell that a spreadsheet would run as a formula is written as inert text (apm.exports.safe_cell)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from apm.exports import SafeModelResource, safe_cell
from teams.models import MemberSkill, Skill, TeamMember
from tests import factories

FORMULAE = ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", FORMULAE)
def test_it_makes_a_string_that_starts_like_a_formula_inert(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("a=b", "a=b"),
        ("O'Neil", "O'Neil"),
        ("", ""),
        (None, ""),
        (-12.5, "-12.5"),
        (Decimal("-3.50"), "-3.50"),
        (-7, "-7"),
        (42, "42"),
    ],
)
def test_it_leaves_text_and_real_numbers_as_they_are(value, expected):
    assert safe_cell(value) == expected


def test_it_escapes_in_every_resource_the_admin_exports_with(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    exporting = [model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportMixin)]
    assert {model_admin.model for model_admin in exporting} >= {TeamMember, Skill, MemberSkill}
    unsafe = [
        f"{model_admin}: {resource.__name__}"
        for model_admin in exporting
        for resource in model_admin.get_export_resource_classes(request)
        if not issubclass(resource, SafeModelResource)
    ]
    assert unsafe == []


def _export(client, model, file_format) -> bytes:
    model_admin = admin.site._registry[model]
    formats = model_admin.get_export_formats()
    resource = model_admin.get_export_resource_classes(None)[0]
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    opts = model._meta
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_export"),
        {"format": formats.index(file_format), "resource": "0", **fields},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return response.content


def _rows_from_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _rows_from_xlsx(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _records(content: bytes, read) -> list[dict]:
    header, *rows = read(content)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file_format", "read"),
    # Every cell reads back as written, a carriage return too: openpyxl writes XLSX through lxml (installed with
    # pikepdf), which stores it as the character reference &#13; (raw in XML text it would read back as "\n").
    [(CSV, _rows_from_csv), (XLSX, _rows_from_xlsx)],
)
def test_it_exports_people_skills_and_levels_with_formulae_made_inert(client, admin_user, file_format, read):
    department = factories.DepartmentFactory(code="=1+1")
    for n, value in enumerate(FORMULAE):
        member = factories.TeamMemberFactory(
            name=value, job_title=value, email=f"p{n}@example.com", department=department
        )
        skill = factories.SkillFactory(name=value, description=value)
        factories.MemberSkillFactory(member=member, skill=skill, level=3)
    inert = sorted("'" + value for value in FORMULAE)
    client.force_login(admin_user)

    people = _records(_export(client, TeamMember, file_format), read)
    assert sorted(person["name"] for person in people) == inert
    assert sorted(person["job_title"] for person in people) == inert
    assert {person["department"] for person in people} == {"'=1+1"}
    assert {Decimal(str(person["weekly_capacity_hours"])) for person in people} == {Decimal("37.50")}

    skills = _records(_export(client, Skill, file_format), read)
    assert sorted(skill["name"] for skill in skills) == inert
    assert sorted(skill["description"] for skill in skills) == inert

    levels = _records(_export(client, MemberSkill, file_format), read)
    assert sorted(level["skill"] for level in levels) == inert
    assert {int(level["level"]) for level in levels} == {3}


def test_it_leaves_numeric_columns_unprefixed_even_when_negative():
    class CapacityResource(SafeModelResource):
        class Meta:
            model = TeamMember
            fields = ("name", "weekly_capacity_hours")

    dataset = CapacityResource().export(queryset=[TeamMember(name="-1", weekly_capacity_hours=Decimal("-2.50"))])
    assert dataset.dict == [{"name": "'-1", "weekly_capacity_hours": "-2.50"}]
