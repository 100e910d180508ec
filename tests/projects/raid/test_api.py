"""The RAID API: the project's team reads its RAID log, filtered by kind, status and severity, and logs an item
through the form's service; client contacts are pointed to the portal."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm.accounts.models import Role
from projects.models import RaidItem
from tests import factories

pytestmark = pytest.mark.django_db

#: Who sees which projects' rows: the outside head also heads BETA.
SEEN = {"pm": {"ALPHA-1"}, "member": {"ALPHA-1"}, "head": {"ALPHA-1"}, "outside_head": {"ALPHA-1", "BETA-1"}}


@pytest.fixture
def stranger(db):
    """A project manager of no project of the world."""
    return factories.UserFactory(username="stranger", role=Role.PROJECT_MANAGER)


@pytest.fixture
def log(world, pm):
    alpha, beta = world["alpha_project"], world["beta_project"]
    risk = factories.RaidItemFactory(project=alpha, title="Supplier late", owner=pm)
    factories.RaidItemFactory(
        project=alpha, kind="issue", title="Server down", severity="high", probability=None, impact=None
    )
    factories.RaidItemFactory(project=alpha, kind="assumption", title="Budget holds", status="closed")
    factories.RaidItemFactory(project=beta, title="Globex risk")
    return {"risk": risk}


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _titles(response):
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


@pytest.mark.parametrize("who", sorted(SEEN))
def test_the_team_and_heads_see_alpha_raid_items(log, users, api_as, who):
    rows = api_as(users[who]).get("/api/v1/raid-items/").json()["results"]
    assert {row["project"] for row in rows} == SEEN[who]


def test_an_item_as_the_log_shows_it(log, member, api_as):
    row = api_as(member).get(f"/api/v1/raid-items/{log['risk'].pk}/").json()
    assert row["reference"] == f"R-{log['risk'].pk}"
    assert row["score"] == 9
    assert row["owner"] == "pm"
    assert row["is_critical"] is False


def test_someone_without_a_relationship_sees_nothing_and_gets_404(log, stranger, api_as):
    client = api_as(stranger)
    assert _titles(client.get("/api/v1/raid-items/")) == []
    _problem(client.get(f"/api/v1/raid-items/{log['risk'].pk}/"), 404)


def test_a_client_contact_gets_403(log, client_user, api_as):
    _problem(api_as(client_user).get("/api/v1/raid-items/"), 403)
    _problem(api_as(client_user).post("/api/v1/raid-items/", RISK, format="json"), 403)


def test_filters(log, pm, api_as):
    client = api_as(pm)
    assert _titles(client.get("/api/v1/raid-items/?project=ALPHA-1&kind=risk")) == ["Supplier late"]
    assert _titles(client.get("/api/v1/raid-items/?severity=high")) == ["Server down"]
    assert _titles(client.get("/api/v1/raid-items/?status=closed")) == ["Budget holds"]
    assert _titles(client.get("/api/v1/raid-items/?project=BETA-1")) == []
    _problem(client.get("/api/v1/raid-items/?kind=nonsense"), 400)


RISK = {
    "project": "ALPHA-1",
    "kind": "risk",
    "title": "Key designer may leave",
    "probability": 2,
    "impact": 4,
    "mitigation": "Pair on the work.",
    "owner": "member",
}


def test_a_write_token_logs_a_risk_through_the_service(world, member, api_as):
    response = api_as(member, write=True).post("/api/v1/raid-items/", RISK, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("R-")
    assert body["score"] == 8
    assert body["raised_by"] == "member"
    item = RaidItem.objects.get(pk=body["id"])
    assert item.owner.username == "member"
    assert item.history.get().history_change_reason == "logged"


def test_a_critical_issue_tells_the_heads_at_once(world, pm, api_as):
    issue = {"project": "ALPHA-1", "kind": "issue", "title": "Site down", "severity": "critical"}
    response = api_as(pm, write=True).post("/api/v1/raid-items/", issue, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["is_critical"] is True
    assert RaidItem.objects.get(pk=response.json()["id"]).heads_notified_at is not None
    assert len(mail.outbox) <= 1  # through the outbox, never twice


def test_an_issue_posted_back_as_read_with_blank_risk_fields_is_logged(world, pm, api_as):
    issue = {
        "project": "ALPHA-1",
        "kind": "issue",
        "title": "Printer jam",
        "severity": "low",
        "mitigation": "",
        "contingency_plan": "",
        "trigger": "",
        "probability": None,
        "impact": None,
    }
    response = api_as(pm, write=True).post("/api/v1/raid-items/", issue, format="json")
    assert response.status_code == 201, response.content
    # A risk field with words in it is still refused, in a sentence.
    body = _problem(
        api_as(pm, write=True).post("/api/v1/raid-items/", {**issue, "mitigation": "Spare printer"}, format="json"),
        400,
    )
    assert body["detail"] == "An issue has no mitigation."


def test_a_read_token_may_not_write(world, pm, api_as):
    _problem(api_as(pm).post("/api/v1/raid-items/", RISK, format="json"), 403)
    assert not RaidItem.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"probability": "high"}, "probability"),
        ({"probability": 9}, "probability"),
        ({"kind": "rumour"}, "kind"),
        ({"title": ""}, "title"),
        ({"owner": "nobody"}, "owner"),
        ({"owner": "outside_head"}, "owner"),
        ({"project": "NOPE-9"}, "project"),
        ({"project": "BETA-1"}, "project"),
        ({"due_date": "tomorrow"}, "due_date"),
    ],
)
def test_bad_input_is_a_400_problem_and_writes_nothing(world, pm, api_as, change, field):
    body = _problem(api_as(pm, write=True).post("/api/v1/raid-items/", {**RISK, **change}, format="json"), 400)
    assert field in body["errors"]
    assert not RaidItem.objects.exists()


@pytest.mark.parametrize(
    "change",
    [{"probability": None, "impact": None}, {"severity": "high"}, {"kind": "issue"}],
    ids=["risk without probability", "risk with a severity", "issue without severity"],
)
def test_what_the_service_refuses_is_a_400_problem_in_its_words(world, pm, api_as, change):
    data = {key: value for key, value in {**RISK, **change}.items() if value is not None}
    if change.get("kind") == "issue":
        data = {key: data[key] for key in ("project", "kind", "title")}
    body = _problem(api_as(pm, write=True).post("/api/v1/raid-items/", data, format="json"), 400)
    assert body["detail"] != "The request has invalid fields."
    assert not RaidItem.objects.exists()


def test_a_reporting_head_who_does_not_work_on_the_project_may_not_log(world, outside_head, api_as):
    _problem(api_as(outside_head, write=True).post("/api/v1/raid-items/", RISK, format="json"), 400)
    assert not RaidItem.objects.exists()


def test_a_token_limited_to_another_project_may_not_log_on_this_one(world, pm, api_as):
    client = api_as(pm, write=True, projects=[world["alpha_project"]])
    assert client.post("/api/v1/raid-items/", RISK, format="json").status_code == 201
    other = factories.ProjectFactory(code="GAMMA-1", project_manager=pm)
    client = api_as(pm, write=True, projects=[other])
    _problem(client.post("/api/v1/raid-items/", RISK, format="json"), 400)
    assert RaidItem.objects.count() == 1


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_list_takes_as_many_queries_for_200_rows_as_for_5(world, pm, api_as):
    alpha = world["alpha_project"]
    client = api_as(pm)
    for _ in range(5):
        factories.RaidItemFactory(project=alpha, owner=pm, raised_by=pm)
    client.get("/api/v1/raid-items/")  # the token's first use is recorded once
    few = _count(client, "/api/v1/raid-items/")
    for _ in range(195):
        factories.RaidItemFactory(project=alpha, owner=pm, raised_by=pm, acknowledged_by=pm)
    assert _count(client, "/api/v1/raid-items/?page_size=200") == few
