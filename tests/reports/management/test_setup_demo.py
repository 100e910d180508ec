"""setup_demo: what `make run` loads — a portfolio, logins for every role, a schedule due now."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from apm.accounts.models import Role, User
from projects.models import ClientContact, Project
from reports.models import ReportSchedule

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_set_logins_and_a_due_schedule_and_runs_twice_without_duplicates(settings, tmp_path):
    settings.APM_REAL_DATA_DIR = tmp_path / "no-real-data-here"
    for _ in range(2):
        call_command("setup_demo", stdout=io.StringIO())
    assert Project.objects.count() >= 6
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["demo"] == Role.ADMINISTRATOR
    assert (roles["pm"], roles["member"], roles["client"]) == (
        Role.PROJECT_MANAGER,
        Role.TEAM_MEMBER,
        Role.CLIENT_CONTACT,
    )
    assert User.objects.get(username="demo").check_password("apm-demo-2026")
    # The agency's three projects with the member on the team, and the Dublin studio's in euros.
    assert Project.objects.filter(project_manager__username="pm").count() == 4
    assert ClientContact.objects.filter(user__username="client").count() == 1
    schedule = ReportSchedule.objects.get()
    assert schedule.active
    assert schedule.next_run_at <= timezone.now()
