"""import_skills --format onet: counts of skills, categories and roles; a second run changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from teams.models import JobRole, Skill, SkillCategory
from teams.services import skill_catalogue_import_onet
from tests.factories import SkillCategoryFactory, SkillFactory

pytestmark = pytest.mark.django_db
DEMO = Path(settings.BASE_DIR) / "teams" / "demo" / "onet"


def _real_onet() -> Path:
    folder = Path(settings.APM_REAL_DATA_DIR) / "onet"
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the real O*NET folder {folder} is missing")
        pytest.skip(f"real O*NET data not found at {folder} (set APM_REAL_DATA_DIR)")
    return folder


@pytest.mark.realdata
def test_it_imports_the_shared_onet_files_once():
    folder = _real_onet()
    first = skill_catalogue_import_onet(directory=folder)
    assert (first.categories_created, first.skills_created, first.roles_created) == (142, 8803, 1016)
    assert SkillCategory.objects.filter(kind="onet_skill").count() == 7
    assert SkillCategory.objects.filter(kind="onet_technology").count() == 135
    assert Skill.objects.exclude(source_code="").count() == 35
    assert Skill.objects.get(source_code="2.B.3.e").name == "Programming"
    assert JobRole.objects.get(code="15-1252.00").title == "Software Developers"
    again = skill_catalogue_import_onet(directory=folder)
    assert not again.changed
    assert (SkillCategory.objects.count(), Skill.objects.count(), JobRole.objects.count()) == (142, 8803, 1016)


def test_it_imports_the_demo_catalogue_and_keeps_our_own_skills(capsys):
    ours = SkillFactory(name="Estimating", category=SkillCategoryFactory(name="Our methods"))
    call_command("import_skills", "--format", "onet", str(DEMO))
    assert "categories: 4 created" in capsys.readouterr().out
    ours.refresh_from_db()
    assert ours.category.name == "Our methods"
    assert Skill.objects.count() == 7  # 3 more generic, 3 technologies, ours
    assert Skill.objects.get(name="Demo Planner").category.name == "Demo planning software"  # listed most often
    call_command("import_skills", "--format", "onet", str(DEMO))
    assert "nothing changed" in capsys.readouterr().out


def test_it_refuses_a_missing_folder_or_file(tmp_path):
    with pytest.raises(CommandError, match="No such folder"):
        call_command("import_skills", "--format", "onet", str(tmp_path / "nope"))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_skills", "--format", "onet", str(tmp_path))
    with pytest.raises(CommandError, match="Unknown --format"):
        call_command("import_skills", "--format", "esco", str(DEMO))
    assert Skill.objects.count() == 0
