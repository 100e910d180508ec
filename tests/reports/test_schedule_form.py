"""The schedule form: fields by choice (server side; the browser test checks the script), the project typed
or searched among the projects the user may name, the time-zone picker, and times on the schedule's clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from apm import access
from reports.models import ReportSchedule
from tests import factories
from tests.reports.scheduled import schedule_form_data

pytestmark = pytest.mark.django_db

# Wednesday 4 June 2025, 11:00 BST.
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)


def project_schedule(**overrides) -> dict:
    """A weekly highlight schedule of ALPHA-1, its project typed by code, to the reporting heads."""
    data = schedule_form_data(name="Alpha weekly", kind="highlight", audience="internal", scope="project")
    return data | {"project": "ALPHA-1"} | overrides


def errors_of(response) -> dict[str, list[str]]:
    return response.context["form"].errors


def test_it_shows_every_field_without_a_script_and_loads_the_one_that_hides_them(client, pm, world):
    client.force_login(pm)
    html = client.get(reverse("reports:schedule_create")).content.decode()
    for name in ("weekdays", "day_of_month", "project", "department", "project_manager", "time_zone"):
        assert f'data-field="{name}"' in html
    assert re.search(r'<div class="mb-3" data-field="[a-z_]+" hidden', html) is None
    assert re.search(r'<script nonce="[^"]+" src="/static/js/schedule-form[^"]*\.js" defer>', html)
    assert "data-schedule-form" in html


def test_it_offers_the_project_as_a_search_with_a_short_list_of_what_the_user_may_name(client, pm, world):
    client.force_login(pm)
    html = client.get(reverse("reports:schedule_create")).content.decode()
    project_input = re.search(r'<input [^>]*name="project"[^>]*>', html).group(0)
    assert 'type="text"' in project_input
    assert 'list="schedule-projects"' in project_input
    assert f'data-project-search="{reverse("reports:schedule_projects")}"' in project_input
    datalist = re.search(r'<datalist id="schedule-projects">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="ALPHA-1">Alpha Project</option>' in datalist
    assert "BETA-1" not in html  # not a project the PM may send reports about


def test_it_offers_every_time_zone_grouped_by_region_and_defaults_to_the_sites(client, pm, world, settings):
    settings.TIME_ZONE = "Europe/Paris"
    client.force_login(pm)
    html = client.get(reverse("reports:schedule_create")).content.decode()
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    assert '<optgroup label="Europe">' in select
    assert '<optgroup label="America">' in select
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in select
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in select
    assert select.count("<option") > 300


@time_machine.travel(NOW, tick=False)
def test_it_saves_the_project_typed_by_its_code_in_any_case(client, pm, world):
    client.force_login(pm)
    response = client.post(reverse("reports:schedule_create"), project_schedule(project="alpha-1"))
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get(name="Alpha weekly")
    assert (schedule.scope, schedule.project, schedule.department) == ("project", world["alpha_project"], None)
    # Edited, the field shows the code again.
    html = client.get(reverse("reports:schedule_edit", args=[schedule.pk])).content.decode()
    assert re.search(r'<input [^>]*name="project"[^>]*value="ALPHA-1"', html)


@pytest.mark.parametrize("typed", ["BETA-1", "NOPE-9", "ALPHA-1x", "<script>", "²", "¹²", "٣"])
def test_it_refuses_a_project_the_user_may_not_name_and_says_so_on_the_field(client, pm, world, typed):
    client.force_login(pm)
    response = client.post(reverse("reports:schedule_create"), project_schedule(project=typed))
    assert response.status_code == 200
    [message] = errors_of(response)["project"]
    assert message.startswith(f"No project “{typed}” that you may send reports about")
    assert not ReportSchedule.objects.exists()


def test_it_refuses_a_nul_in_the_project_without_asking_the_database(client, pm, world):
    # PostgreSQL text holds no NUL: the field drops it, then finds no such project.
    client.force_login(pm)
    response = client.post(reverse("reports:schedule_create"), project_schedule(project="ALPHA\x00-1x"))
    assert response.status_code == 200
    [message] = errors_of(response)["project"]
    assert message.startswith("No project “ALPHA-1x” that you may send reports about")
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize(
    ("scope", "field", "message"),
    [
        ("project", "project", "Choose the project this schedule reports on."),
        ("department", "department", "Choose the department this schedule reports on."),
        ("pm_portfolio", "project_manager", "Choose the project manager this schedule reports on."),
    ],
)
def test_it_asks_for_the_object_of_the_chosen_scope_on_its_own_field(client, admin_user, world, scope, field, message):
    client.force_login(admin_user)
    data = project_schedule(kind="portfolio" if scope != "project" else "highlight", scope=scope, project="")
    response = client.post(reverse("reports:schedule_create"), data)
    assert response.status_code == 200
    assert errors_of(response) == {field: [message]}
    assert not ReportSchedule.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_it_ignores_the_fields_the_choices_leave_unused_even_when_wrong(client, head, world):
    """A department schedule, monthly: the project typed earlier and the weekdays left ticked are dropped."""
    client.force_login(head)
    data = project_schedule(
        kind="portfolio", scope="department", department=world["alpha"].pk, project="NOPE-9",
        frequency="monthly", weekdays=["1", "9"], day_of_month="15",
    )  # fmt: skip
    response = client.post(reverse("reports:schedule_create"), data)
    assert response.status_code == 302, errors_of(response)
    schedule = ReportSchedule.objects.get()
    assert (schedule.project, schedule.department, schedule.weekdays) == (None, world["alpha"], [])
    assert schedule.day_of_month == 15


def test_it_asks_for_a_weekday_only_for_a_weekly_schedule(client, pm, world):
    client.force_login(pm)
    response = client.post(reverse("reports:schedule_create"), project_schedule(weekdays=[], day_of_month="x"))
    assert response.status_code == 200
    assert errors_of(response) == {"weekdays": ["Choose at least one weekday for a weekly schedule."]}


# --- The project search --------------------------------------------------------------------------------


def search(client, query: str) -> list[dict]:
    response = client.get(reverse("reports:schedule_projects"), {"q": query})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["projects"]


def test_it_searches_only_the_projects_the_user_may_name(client, pm, head, admin_user, world):
    client.force_login(pm)
    assert search(client, "alpha") == [{"code": "ALPHA-1", "name": "Alpha Project"}]
    assert search(client, "beta") == []
    assert search(client, "") == [{"code": "ALPHA-1", "name": "Alpha Project"}]
    client.force_login(admin_user)
    assert search(client, "Beta Proj") == [{"code": "BETA-1", "name": "Beta Project"}]
    # The search never offers more than the form accepts: the head's results are their send_client projects.
    client.force_login(head)
    allowed = set(access.send_client.queryset(head).values_list("code", flat=True))
    assert {p["code"] for p in search(client, "")} == allowed


def test_it_is_404_to_those_who_keep_no_schedules(client, member, client_user, world):
    for user in (member, client_user):
        client.force_login(user)
        assert client.get(reverse("reports:schedule_projects"), {"q": "alpha"}).status_code == 404


@pytest.mark.parametrize("query", ["", "%", "_", "' OR 1=1 --", "x" * 5000, "ALPHA\x00"])
def test_it_answers_any_query_with_a_list(client, admin_user, world, query):
    client.force_login(admin_user)
    assert isinstance(search(client, query), list)


def test_it_searches_in_a_fixed_number_of_queries_and_offers_at_most_twenty(
    client, pm, world, django_assert_num_queries
):
    client.force_login(pm)
    url = reverse("reports:schedule_projects")
    with django_assert_num_queries(3):  # session, user, projects
        client.get(url, {"q": "a"})
    for n in range(30):
        factories.ProjectFactory(code=f"ALPHA-{n + 2}", name=f"Another {n}", project_manager=pm)
    with django_assert_num_queries(3):
        found = client.get(url, {"q": "a"}).json()["projects"]
    assert len(found) == 20
    assert [p["code"] for p in found] == sorted(p["code"] for p in found)


# --- Times on the schedule's own clock -----------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_it_stores_the_zone_and_shows_every_time_on_its_clock(client, pm, world):
    client.force_login(pm)
    data = project_schedule(time_zone="Asia/Tokyo", local_time="08:00", weekdays=["1", "4"])
    response = client.post(reverse("reports:schedule_create"), data, follow=True)
    schedule = ReportSchedule.objects.get()
    assert schedule.time_zone == "Asia/Tokyo"
    # Thursday 5 June 08:00 in Tokyo is 23:00 UTC on the Wednesday.
    assert schedule.next_run_at == dt.datetime(2025, 6, 4, 23, 0, tzinfo=dt.UTC)
    page = response.content.decode()
    assert "next report Thu 5 Jun 2025 08:00 Asia/Tokyo" in page  # the message after saving
    assert "Mondays and Thursdays 08:00 Asia/Tokyo" in page
    assert "Thu 5 Jun 2025 08:00 Asia/Tokyo" in page
    assert "UTC" not in page
    edit = client.get(reverse("reports:schedule_edit", args=[schedule.pk])).content.decode()
    assert "Runs Mondays and Thursdays 08:00 Asia/Tokyo; next report Thu 5 Jun 2025 08:00 Asia/Tokyo." in edit
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo</option>' in edit


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_monthly_schedule_across_the_clock_change_in_local_time(client, head, world):
    client.force_login(head)
    data = project_schedule(
        name="Alpha monthly", kind="portfolio", scope="department", department=world["alpha"].pk, project="",
        frequency="monthly", weekdays=[], day_of_month="0", local_time="09:30", time_zone="America/New_York",
    )  # fmt: skip
    assert client.post(reverse("reports:schedule_create"), data).status_code == 302
    page = client.get(reverse("reports:schedules")).content.decode()
    assert "Monthly, last day, 09:30 America/New_York" in page
    # 30 June 2025 09:30 EDT (13:30 UTC).
    assert "Mon 30 Jun 2025 09:30 America/New_York" in page
    assert ReportSchedule.objects.get().next_run_at == dt.datetime(2025, 6, 30, 13, 30, tzinfo=dt.UTC)


def test_it_keeps_a_saved_zone_this_machine_does_not_know_and_still_lists_the_schedule(client, admin_user, world):
    schedule = factories.ReportScheduleFactory(
        name="Old zone", department=world["alpha"], time_zone="Mars/Olympus", next_run_at=NOW
    )
    client.force_login(admin_user)
    page = client.get(reverse("reports:schedules")).content.decode()
    assert "Mondays 09:00 Mars/Olympus" in page
    assert "Wed 4 Jun 2025 10:00 UTC" in page  # its clock unknown: the instant in UTC, said so
    edit = client.get(reverse("reports:schedule_edit", args=[schedule.pk])).content.decode()
    assert '<optgroup label="Saved">' in edit
    assert '<option value="Mars/Olympus" selected>Mars/Olympus</option>' in edit
