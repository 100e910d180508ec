"""The tasks API: the project's team reads its tasks, filtered by deliverable, status and assignee; adds a task
and moves one through the planning services; client contacts are pointed to the portal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm.accounts.models import Role
from projects.models import Task
from projects.planning import services
from tests import factories

pytestmark = pytest.mark.django_db

#: Who sees which projects' rows: the outside head also heads BETA.
SEEN = {"pm": {"ALPHA-1"}, "member": {"ALPHA-1"}, "head": {"ALPHA-1"}, "outside_head": {"ALPHA-1", "BETA-1"}}


@pytest.fixture
def stranger(db):
    """A project manager of no project of the world."""
    return factories.UserFactory(username="stranger", role=Role.PROJECT_MANAGER)


@pytest.fixture
def plan(world, pm, admin_user):
    alpha, beta = world["alpha_project"], world["beta_project"]
    mo = alpha.team_members.get()
    video = factories.DeliverableFactory(project=alpha, name="Video")
    other = factories.DeliverableFactory(project=beta, name="Globex thing")
    cut = services.task_create(
        project=alpha, user=pm, title="Cut", deliverable=video, assignees=[mo], due_date=dt.date(2025, 6, 1)
    )
    services.task_create(project=alpha, user=pm, title="Grade", depends_on=[cut], due_date=dt.date(2025, 6, 10))
    services.task_create(project=beta, user=admin_user, title="Globex task", deliverable=other)
    return {"alpha": alpha, "video": video, "other": other, "cut": cut, "mo": mo}


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _titles(response):
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.mark.parametrize("who", sorted(SEEN))
def test_the_team_and_heads_see_alpha_tasks(plan, users, api_as, who):
    rows = api_as(users[who]).get("/api/v1/tasks/").json()["results"]
    assert {row["project"] for row in rows} == SEEN[who]


def test_a_task_as_the_tasks_page_shows_it(plan, member, api_as):
    row = api_as(member).get(f"/api/v1/tasks/{plan['cut'].pk}/").json()
    assert row["reference"] == f"T-{plan['cut'].pk}"
    assert row["deliverable_name"] == "Video"
    assert row["assignees"] == [{"id": plan["mo"].pk, "name": "Mo Member"}]
    assert row["status"] == "to_do"
    grade = api_as(member).get("/api/v1/tasks/?project=ALPHA-1").json()["results"][1]
    assert grade["depends_on"] == [plan["cut"].pk]


def test_someone_without_a_relationship_sees_nothing_and_gets_404(plan, stranger, api_as):
    client = api_as(stranger)
    assert _titles(client.get("/api/v1/tasks/")) == []
    _problem(client.get(f"/api/v1/tasks/{plan['cut'].pk}/"), 404)
    _problem(api_as(stranger, write=True).post(f"/api/v1/tasks/{plan['cut'].pk}/move/", {"to": "blocked"}), 404)


def test_a_client_contact_gets_403(plan, client_user, api_as):
    _problem(api_as(client_user).get("/api/v1/tasks/"), 403)


def test_a_malformed_or_too_large_id_is_a_404_problem(plan, pm, api_as):
    client = api_as(pm)
    for bad in ("1.5", str(2**70), "T-1"):
        _problem(client.get(f"/api/v1/tasks/{bad}/"), 404)
    _problem(client.get(f"/api/v1/tasks/?deliverable={2**70}"), 400)


def test_filters(plan, pm, api_as):
    client = api_as(pm)
    assert _titles(client.get("/api/v1/tasks/?project=ALPHA-1")) == ["Cut", "Grade"]
    assert _titles(client.get(f"/api/v1/tasks/?deliverable={plan['video'].pk}")) == ["Cut"]
    assert _titles(client.get(f"/api/v1/tasks/?assignee={plan['mo'].pk}")) == ["Cut"]
    assert _titles(client.get("/api/v1/tasks/?status=done")) == []
    _problem(client.get("/api/v1/tasks/?status=nonsense"), 400)
    _problem(client.get("/api/v1/tasks/?assignee=someone"), 400)


NEW = {"project": "ALPHA-1", "title": "Record voice-over", "estimate_hours": "6.5", "priority": "high"}


def test_a_write_token_adds_a_task_through_the_service(plan, member, api_as):
    data = {**NEW, "deliverable": plan["video"].pk, "assignees": [plan["mo"].pk], "depends_on": [plan["cut"].pk]}
    response = api_as(member, write=True).post("/api/v1/tasks/", data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "to_do"
    assert body["estimate_hours"] == "6.50"
    assert body["depends_on"] == [plan["cut"].pk]
    task = Task.objects.get(pk=body["id"])
    assert task.deliverable == plan["video"]
    assert list(task.assignees.all()) == [plan["mo"]]
    assert task.history.get().history_change_reason.startswith("created; assigned: Mo Member")


def test_a_read_token_may_not_write(plan, pm, api_as):
    client = api_as(pm)
    _problem(client.post("/api/v1/tasks/", NEW, format="json"), 403)
    _problem(client.post(f"/api/v1/tasks/{plan['cut'].pk}/move/", {"to": "in_progress"}, format="json"), 403)
    assert Task.objects.count() == 3
    assert Task.objects.get(pk=plan["cut"].pk).status == "to_do"


def test_a_reporting_head_may_read_but_not_change_tasks(plan, outside_head, api_as):
    client = api_as(outside_head, write=True)
    _problem(client.post("/api/v1/tasks/", NEW, format="json"), 400)
    _problem(client.post(f"/api/v1/tasks/{plan['cut'].pk}/move/", {"to": "in_progress"}, format="json"), 403)
    assert Task.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"estimate_hours": "lots"}, "estimate_hours"),
        ({"estimate_hours": "-1"}, "estimate_hours"),
        ({"priority": "whenever"}, "priority"),
        ({"project": "NOPE-9"}, "project"),
        ({"project": "BETA-1"}, "project"),
        ({"deliverable": 999999}, "deliverable"),
        ({"deliverable": "video"}, "deliverable"),
        ({"assignees": [999999]}, "assignees"),
        ({"assignees": [2**70]}, "assignees"),
        ({"deliverable": 2**70}, "deliverable"),
        ({"deliverable": True}, "deliverable"),
        ({"depends_on": "T-1"}, "depends_on"),
        ({"start_date": "2025-06-10", "due_date": "2025-06-01"}, "start_date"),
    ],
)
def test_bad_input_is_a_400_problem_and_writes_nothing(plan, pm, api_as, change, field):
    body = _problem(api_as(pm, write=True).post("/api/v1/tasks/", {**NEW, **change}, format="json"), 400)
    assert field in body["errors"]
    assert Task.objects.count() == 3


def test_another_projects_deliverable_or_task_is_refused(plan, world, head, api_as):
    """The head edits the tasks of both ALPHA-1 and (made PM of) BETA-1: an object of the other one is refused."""
    world["beta_project"].project_manager = head
    world["beta_project"].save()
    client = api_as(head, write=True)
    for change in ({"deliverable": plan["other"].pk}, {"depends_on": [Task.objects.get(title="Globex task").pk]}):
        body = _problem(client.post("/api/v1/tasks/", {**NEW, **change}, format="json"), 400)
        assert "another project" in body["detail"]
    assert Task.objects.count() == 3


def test_a_stranger_cannot_use_another_projects_deliverable(plan, pm, api_as):
    data = {**NEW, "deliverable": plan["other"].pk}
    body = _problem(api_as(pm, write=True).post("/api/v1/tasks/", data, format="json"), 400)
    assert "deliverable" in body["errors"]
    assert Task.objects.count() == 3


def test_a_move_goes_through_the_workflow(plan, member, api_as):
    client = api_as(member, write=True)
    url = f"/api/v1/tasks/{plan['cut'].pk}/move/"
    response = client.post(url, {"to": "in_progress"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    cut = Task.objects.get(pk=plan["cut"].pk)
    assert cut.status == "in_progress"
    assert cut.history.first().history_change_reason == "status: In progress"
    body = _problem(client.post(url, {"to": "done"}, format="json"), 400)
    assert "done" in body["detail"].lower()
    _problem(client.post(url, {"to": "finished"}, format="json"), 400)
    _problem(client.post(url, {}, format="json"), 400)
    assert Task.objects.get(pk=plan["cut"].pk).status == "in_progress"


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_list_takes_as_many_queries_for_200_rows_as_for_5(world, pm, api_as):
    alpha = world["alpha_project"]
    mo = alpha.team_members.get()
    video = factories.DeliverableFactory(project=alpha, name="Video")
    first = services.task_create(project=alpha, user=pm, title="First", deliverable=video, assignees=[mo])
    client = api_as(pm)

    def add(count):
        for number in range(count):
            task = services.task_create(
                project=alpha, user=pm, title=f"Task {number}", deliverable=video, assignees=[mo], depends_on=[first]
            )
            services.checklist_item_add(task=task, user=pm, text="Check")

    add(4)
    client.get("/api/v1/tasks/")  # the token's first use is recorded once
    few = _count(client, "/api/v1/tasks/")
    add(195)
    assert Task.objects.count() == 200
    assert _count(client, "/api/v1/tasks/?page_size=200") == few
