"""``manage.py import`` (django-import-export's generic import): only resources that validate every row.

Its own command builds a resource for any model label that writes rows
without ``full_clean``; ours refuses such a resource, so a blank or invalid
row is never written, and a project never comes in that way.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from projects.models import Project
from teams.models import Skill, SkillCategory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> None:
    call_command("import", *args, "--noinput", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("rows", ["code,name\n,\n", "code,name\nX-1,Blank client\n"])
def test_it_refuses_a_model_label_and_writes_nothing(tmp_path, rows):
    path = tmp_path / "projects.csv"
    path.write_text(rows)
    with pytest.raises(CommandError, match=r"refused: projects\.Project would be imported without full_clean"):
        _run("projects.Project", str(path))
    assert not Project.objects.exists()


def test_a_validating_resource_never_writes_a_blank_or_invalid_row(tmp_path):
    SkillCategory.objects.create(name="Basic Skills")
    path = tmp_path / "skills.csv"
    path.write_text("name,category,description\nReading,Basic Skills,Reads\n,Basic Skills,blank name\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import", "teams.resources.SkillResource", str(path), "--noinput", stderr=err)
    assert f"{path}, line 3: name: This field cannot be blank." in err.getvalue()
    assert not Skill.objects.exists()


def test_a_validating_resource_imports_good_rows(tmp_path):
    SkillCategory.objects.create(name="Basic Skills")
    path = tmp_path / "skills.csv"
    path.write_text("name,category,description\nReading,Basic Skills,Reads\n")
    _run("teams.resources.SkillResource", str(path))
    assert list(Skill.objects.values_list("name", "category__name")) == [("Reading", "Basic Skills")]


@pytest.mark.parametrize("encoding", [(), ("--encoding", "cp1252")])
def test_it_reads_a_cp1252_file(tmp_path, encoding):
    SkillCategory.objects.create(name="Compétences de base")
    path = tmp_path / "skills.csv"
    path.write_bytes(
        "name,category,description\nLecture rapide,Compétences de base,Lit très vite les énoncés\n".encode("cp1252")
    )
    _run("teams.resources.SkillResource", str(path), *encoding)
    assert list(Skill.objects.values_list("name", "category__name", "description")) == [
        ("Lecture rapide", "Compétences de base", "Lit très vite les énoncés")
    ]


def test_it_drops_a_utf8_byte_order_mark(tmp_path):
    SkillCategory.objects.create(name="Basic Skills")
    path = tmp_path / "skills.csv"
    path.write_bytes("name,category,description\nRéading,Basic Skills,Reads\n".encode("utf-8-sig"))
    _run("teams.resources.SkillResource", str(path))
    assert list(Skill.objects.values_list("name", "category__name")) == [("Réading", "Basic Skills")]


def test_a_missing_file_or_an_undecodable_one_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.csv"):
        _run("teams.resources.SkillResource", str(tmp_path / "nope.csv"))
    path = tmp_path / "skills.csv"
    path.write_bytes(b"name,category,description\ncaf\xe9,x,y\n")
    with pytest.raises(CommandError, match=rf"^{path}, line 2: not utf-8"):
        _run("teams.resources.SkillResource", str(path), "--encoding", "utf-8")
