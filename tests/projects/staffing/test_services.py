"""Staffing: suggestions, one-click assign, over-allocation warnings, pages by role, fixed queries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apm.errors import Refused
from projects.models import Allocation, OpenRoleSkill
from projects.staffing.selectors import staffing_suggestions
from projects.staffing.services import OverAllocationError, allocation_create
from teams.models import PublicHoliday, TimeOff
from tests.factories import (
    AllocationFactory,
    MemberSkillFactory,
    OpenRoleFactory,
    SkillFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def role(world):
    """An open role on ALPHA-1: 20 h/week, 3 Mar to 27 Apr 2025, Python ≥4 and SQL ≥3."""
    open_role = OpenRoleFactory(project=world["alpha_project"], title="Data engineer")
    python, sql = SkillFactory(name="Python"), SkillFactory(name="SQL")
    OpenRoleSkill.objects.create(role=open_role, skill=python, min_level=4)
    OpenRoleSkill.objects.create(role=open_role, skill=sql, min_level=3)
    return open_role


def _person(name, python, sql=None, department=None):
    member = TeamMemberFactory(name=name, department=department)
    MemberSkillFactory(member=member, skill=SkillFactory(name="Python"), level=python)
    if sql:
        MemberSkillFactory(member=member, skill=SkillFactory(name="SQL"), level=sql)
    return member


def _book(role, member, hours: str, **kwargs):
    """``allocation_create`` of ``member`` on the role's project, ``hours`` a week over the role's dates."""
    dates = {"start_date": role.start_date, "end_date": role.end_date}
    return allocation_create(project=role.project, member=member, hours_per_week=Decimal(hours), **(dates | kwargs))


def test_it_ranks_by_fit_and_free_time_with_reasons(role, world):
    _person("Eve Expert", 5, 4)
    busy = _person("Bea Busy", 5, 4)
    AllocationFactory(member=busy, project=world["beta_project"], hours_per_week=Decimal("30"))
    junior = _person("Jo Junior", 2)
    _person("Ann Again", 5, 4)
    TeamMemberFactory(name="No Skills")
    ranked = staffing_suggestions(role=role)
    assert [s.person.name for s in ranked] == ["Ann Again", "Eve Expert", "Bea Busy", "Jo Junior"]
    assert ranked[1].reason == "has 2/2 skills at the level needed; free for all 8 weeks"
    assert ranked[2].reason.startswith("has 2/2 skills at the level needed; 7.5 h/week free in weeks 1\u20138")
    assert ranked[3].fit.percent == 29  # 2 of 7 level-points
    assert junior.pk == ranked[3].person.id


def test_it_counts_time_off_and_holidays(role):
    eve = _person("Eve", 5, 4)
    TimeOff.objects.create(member=eve, start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 14))
    PublicHoliday.objects.create(date=dt.date(2025, 4, 18), name="Good Friday")
    [s] = staffing_suggestions(role=role)
    assert "no time in week 2" in s.reason
    assert "time off in weeks 2, 7" in s.reason
    assert s.availability.percent == 88


def test_it_refuses_a_silent_over_allocation(role, world, pm):
    eve = _person("Eve", 5, 4)
    AllocationFactory(member=eve, project=world["beta_project"], hours_per_week=Decimal("30"))
    with pytest.raises(OverAllocationError, match="over-allocated in 8 week"):
        _book(role, eve, "20", open_role=role)
    assert not Allocation.objects.filter(open_role=role).exists()
    tentative = _book(role, eve, "15", status="tentative", open_role=role)
    assert tentative.status == "tentative"
    bob = _person("Bob", 5, 4)
    AllocationFactory(member=bob, project=world["beta_project"], hours_per_week=Decimal("37.5"))
    with pytest.raises(OverAllocationError):
        _book(role, bob, "5", open_role=role)
    forced = _book(role, bob, "5", allow_over_allocation=True, open_role=role, created_by=pm)
    assert forced.created_by == pm
    assert {eve, bob} <= set(role.project.team_members.all())
    role.refresh_from_db()
    assert role.status == "filled"


def test_it_refuses_bad_bookings(role):
    eve = _person("Eve", 5, 4)
    with pytest.raises(Refused, match="more than zero"):
        _book(role, eve, "0")
    with pytest.raises(Refused, match="before the start"):
        _book(role, eve, "5", start_date=role.end_date, end_date=role.start_date)
    assert Allocation.objects.count() == 0


def test_it_assigns_in_one_click_and_warns_on_over_allocation(client, pm, role, world):
    eve = _person("Eve", 5, 4)
    client.force_login(pm)
    url = reverse("projects:role_assign", args=[role.project.code, role.pk])
    data = {"member": eve.pk, "status": "confirmed", "hours_per_week": "10"}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "booked as Data engineer" in response.content.decode()
    bob = _person("Bob", 5, 4)
    AllocationFactory(member=bob, project=world["beta_project"], hours_per_week=Decimal("37.5"))
    response = client.post(url, {"member": bob.pk, "status": "confirmed"}, HTTP_HX_REQUEST="true")
    assert "Over-allocation" in response.content.decode()
    assert not Allocation.objects.filter(member=bob, open_role=role).exists()
    client.post(url, {"member": bob.pk, "status": "confirmed", "allow_over": "1"}, HTTP_HX_REQUEST="true")
    assert Allocation.objects.filter(member=bob, open_role=role).exists()


def test_it_shows_the_team_page_by_role(client, pm, member, client_user, outside_head, role, world):
    _person("Eve", 5, 4)
    team_url = reverse("projects:team", args=["ALPHA-1"])
    suggest_url = reverse("projects:role_suggestions", args=["ALPHA-1", role.pk])
    client.force_login(pm)
    page = client.get(team_url).content.decode()
    assert "Data engineer" in page
    assert "Suggest people" in page
    assert "Eve" in client.get(suggest_url, HTTP_HX_REQUEST="true").content.decode()
    client.force_login(member)  # on the team: sees it, cannot staff
    assert "Suggest people" not in client.get(team_url).content.decode()
    assert client.get(suggest_url).status_code == 404
    client.force_login(client_user)
    assert client.get(team_url).status_code == 404


def test_it_hides_other_projects_and_people_from_outsiders(client, member, client_user, world):
    stranger = TeamMemberFactory(name="Stranger", department=world["beta"])
    client.force_login(member)
    assert client.get(reverse("projects:team", args=["BETA-1"])).status_code == 404
    assert client.get(reverse("staffing:person", args=[stranger.pk])).status_code == 404
    mo = world["alpha_project"].team_members.get()
    assert client.get(reverse("staffing:person", args=[mo.pk])).status_code == 200
    client.force_login(client_user)
    assert client.get(reverse("staffing:person", args=[mo.pk])).status_code == 404
    assert client.get(reverse("staffing:capacity")).status_code == 404
    assert client.get(reverse("teams:matrix")).status_code == 404


def test_it_creates_an_open_role_with_skills(client, pm, world):
    python = SkillFactory(name="Python")
    MemberSkillFactory(skill=python)
    client.force_login(pm)
    url = reverse("projects:role_create", args=["ALPHA-1"])
    data = {
        "title": "Dev",
        "hours_per_week": "15",
        "start_date": "2025-03-03",
        "end_date": "2025-02-01",
        "skills-TOTAL_FORMS": "1",
        "skills-INITIAL_FORMS": "0",
        "skills-0-skill": python.pk,
        "skills-0-min_level": "4",
    }
    assert client.post(url, data).status_code == 200  # end before start: the form again
    data["end_date"] = "2025-06-30"
    assert client.post(url, data).status_code == 302
    role = world["alpha_project"].open_roles.get()
    assert [(r.skill.name, r.min_level) for r in role.requirements.all()] == [("Python", 4)]


def _people(n, dept):
    skills = [SkillFactory(name=f"S{i}") for i in range(3)]
    for i in range(n):
        m = TeamMemberFactory(name=f"P{i:03d}", department=dept)
        for skill in skills:
            MemberSkillFactory(member=m, skill=skill, level=1 + i % 5)
        AllocationFactory(member=m, hours_per_week=Decimal("10"), status="confirmed" if i % 2 else "tentative")
        TimeOff.objects.create(member=m, start=dt.date(2025, 3, 4), end=dt.date(2025, 3, 5))


@pytest.mark.parametrize("name", ["teams:matrix", "staffing:capacity"])
@time_machine.travel(dt.datetime(2025, 3, 5, 9, tzinfo=dt.UTC), tick=False)
def test_it_runs_a_fixed_number_of_queries_for_10_and_300_people(client, pm, world, name):
    client.force_login(pm)
    url = reverse(name)
    _people(10, world["alpha"])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _people(290, world["alpha"])
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert len(large) == len(small)
    assert "P299" not in page or name == "teams:matrix"  # 100 a page
    assert "300 people" in page or "301 people" in page


@time_machine.travel(dt.datetime(2025, 3, 5, 9, tzinfo=dt.UTC), tick=False)
def test_it_marks_over_allocation_and_tentative_in_the_heatmap(client, pm, world):
    eve = TeamMemberFactory(name="Eve", department=world["alpha"])
    AllocationFactory(member=eve, hours_per_week=Decimal("40"))
    AllocationFactory(member=eve, hours_per_week=Decimal("7.5"), status="tentative")
    client.force_login(pm)
    page = client.get(reverse("staffing:capacity"), {"department": world["alpha"].pk}).content.decode()
    assert "heat-over" in page
    assert "107%" in page
    assert "+20% t" in page


def test_it_prints_the_ranking_from_the_command(role, capsys):
    _person("Eve", 5, 4)
    _person("Jo", 2)
    call_command("staffing_suggest", "--project", "ALPHA-1", "--json")
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["roles"][0]["candidates"]] == ["Eve", "Jo"]
    call_command("staffing_suggest", "--project", "ALPHA-1")
    assert "1. Eve score 100% fit 100% free 100%" in capsys.readouterr().out


def test_it_lets_a_reporting_head_from_another_department_see_but_not_staff(client, outside_head, role, world):
    eve = _person("Eve", 5, 4)
    client.force_login(outside_head)
    page = client.get(reverse("projects:team", args=["ALPHA-1"]))
    assert page.status_code == 200
    assert "Suggest people" not in page.content.decode()
    assign = reverse("projects:role_assign", args=["ALPHA-1", role.pk])
    assert client.post(assign, {"member": eve.pk, "status": "confirmed"}).status_code == 404
    assert client.get(reverse("projects:role_create", args=["ALPHA-1"])).status_code == 404
    assert not Allocation.objects.filter(member=eve).exists()


def test_it_keeps_bookings_on_projects_the_viewer_cannot_see_off_a_persons_page(client, member, world):
    colleague = TeamMemberFactory(name="Colleague")
    world["alpha_project"].team_members.add(colleague)
    today = timezone.localdate()
    span = {"start_date": today, "end_date": today + dt.timedelta(weeks=8)}
    AllocationFactory(member=colleague, project=world["alpha_project"], **span)
    AllocationFactory(member=colleague, project=world["beta_project"], **span)
    client.force_login(member)
    page = client.get(reverse("staffing:person", args=[colleague.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ALPHA-1" in html
    assert "BETA-1" not in html
    assert "Beta Project" not in html


def test_it_prefills_the_open_role_dates_as_iso_for_date_inputs(client, pm, world):
    client.force_login(pm)
    body = client.get(reverse("projects:role_create", args=["ALPHA-1"])).content.decode()
    assert 'type="date" name="start_date" value="2024-01-01"' in body
    assert 'type="date" name="end_date" value="2027-12-31"' in body
