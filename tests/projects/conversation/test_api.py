"""The comments endpoint: who sees a comment is ``see_comment``; filters by project and anchor; writing one
goes through ``comment_create`` (a refusal is a 400 problem writing nothing; a read token is a 403); a fixed
number of queries whatever the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Comment, Notification
from tests import factories

pytestmark = pytest.mark.django_db


def _bodies(response):
    assert response.status_code == 200, response.content
    return sorted(row["body"] for row in response.json()["results"])


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.fixture
def comments(world, deliverable, task, pm):
    factories.CommentFactory(deliverable=deliverable, project=deliverable.project, author=pm, body="On designs")
    factories.CommentFactory(deliverable=None, task=task, project=task.project, author=pm, body="On the plan")
    beta = factories.DeliverableFactory(project=world["beta_project"])
    factories.CommentFactory(deliverable=beta, project=beta.project, body="On Globex")


@pytest.mark.parametrize("who", ["pm", "member", "head"])
def test_the_team_sees_the_comments_of_its_projects(world, users, who, comments, api_as):
    assert _bodies(api_as(users[who]).get("/api/v1/comments/")) == ["On designs", "On the plan"]


def test_filters_by_project_and_anchor(world, pm, comments, deliverable, task, api_as):
    client = api_as(pm)
    assert _bodies(client.get("/api/v1/comments/", {"deliverable": deliverable.pk})) == ["On designs"]
    assert _bodies(client.get("/api/v1/comments/", {"task": task.pk})) == ["On the plan"]
    assert _bodies(client.get("/api/v1/comments/", {"project": "BETA-1"})) == []
    row = client.get("/api/v1/comments/", {"task": task.pk}).json()["results"][0]
    assert (row["anchor"], row["anchor_id"], row["project"], row["author"]) == ("task", task.pk, "ALPHA-1", "pm")
    assert client.get("/api/v1/comments/", {"task": "x"}).status_code == 400


def test_anothers_comment_is_a_404_and_a_client_gets_a_403(world, pm, client_user, comments, api_as):
    other = Comment.objects.get(body="On Globex")
    _problem(api_as(pm).get(f"/api/v1/comments/{other.pk}/"), 404)
    _problem(api_as(client_user).get("/api/v1/comments/"), 403)


def test_a_write_token_comments_through_the_service_with_mentions(world, pm, member, deliverable, api_as):
    response = api_as(pm, write=True).post(
        "/api/v1/comments/",
        {"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": deliverable.pk, "body": "Over to you @member"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mentions"] == ["member"]
    assert body["visibility"] == "internal"
    assert body["not_notified"] == []
    assert body["unknown_mentions"] == []
    comment = Comment.objects.get(pk=body["id"])
    assert comment.author == pm
    assert comment.deliverable == deliverable
    assert Notification.objects.filter(recipient=member, kind="mention").count() == 1
    assert comment.history.count() == 1


def test_the_pm_makes_a_comment_visible_to_the_client_but_a_member_may_not(world, pm, member, deliverable, api_as):
    given = {"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": deliverable.pk, "body": "For Acme"}
    refused = _problem(
        api_as(member, write=True).post("/api/v1/comments/", {**given, "visible_to_client": True}, format="json"), 400
    )
    assert "visible to the client" in refused["detail"]
    assert not Comment.objects.exists()
    response = api_as(pm, write=True).post("/api/v1/comments/", {**given, "visible_to_client": True}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["visibility"] == "client"


def test_a_read_token_may_not_comment(world, pm, deliverable, api_as):
    given = {"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": deliverable.pk, "body": "Hello"}
    _problem(api_as(pm).post("/api/v1/comments/", given, format="json"), 403)
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("given", "status"),
    [
        ({"anchor": "deliverable", "body": "   "}, 400),  # empty after stripping: the service refuses
        ({"anchor": "deliverable", "body": ""}, 400),
        ({"anchor": "deliverable", "anchor_id": "abc", "body": "x"}, 400),
        ({"anchor": "milestone", "body": "x"}, 400),
        ({"anchor": "deliverable", "anchor_id": 999_999, "body": "x"}, 404),
        ({"anchor": "task", "body": "x"}, 404),  # the deliverable's id is no task of the project
        ({"project": "BETA-1", "anchor": "deliverable", "body": "x"}, 404),
        ({"project": "NOPE", "anchor": "deliverable", "body": "x"}, 404),
    ],
)
def test_bad_input_is_a_problem_and_writes_nothing(world, pm, deliverable, given, status, api_as):
    data = {"project": "ALPHA-1", "anchor_id": deliverable.pk, **given}
    _problem(api_as(pm, write=True).post("/api/v1/comments/", data, format="json"), status)
    assert not Comment.objects.exists()


def test_another_projects_deliverable_is_a_404(world, pm, api_as):
    beta = factories.DeliverableFactory(project=world["beta_project"])
    given = {"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": beta.pk, "body": "x"}
    _problem(api_as(pm, write=True).post("/api/v1/comments/", given, format="json"), 404)
    assert not Comment.objects.exists()


def test_the_list_takes_the_same_queries_for_5_or_200_comments(world, pm, member, deliverable, api_as):
    client = api_as(pm)
    client.get("/api/v1/comments/")  # the token's first use is stamped once
    counts = []
    for total in (5, 200):
        Comment.objects.all().delete()
        made = Comment.objects.bulk_create(
            Comment(project=deliverable.project, deliverable=deliverable, author=pm, body=f"c{n}") for n in range(total)
        )
        Comment.mentions.through.objects.bulk_create(
            Comment.mentions.through(comment_id=comment.pk, user_id=member.pk) for comment in made
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/comments/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_token_limited_to_another_project_may_not_comment_here(world, admin_user, deliverable, api_as):
    client = api_as(admin_user, write=True, projects=[world["beta_project"]])
    given = {"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": deliverable.pk, "body": "x"}
    _problem(client.post("/api/v1/comments/", given, format="json"), 404)
    assert not Comment.objects.exists()


def test_an_anchor_id_beyond_a_database_id_is_a_400(world, pm, api_as):
    given = {"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": 2**64, "body": "x"}
    _problem(api_as(pm, write=True).post("/api/v1/comments/", given, format="json"), 400)
    _problem(api_as(pm).get("/api/v1/comments/", {"deliverable": 2**64}), 400)
    _problem(api_as(pm).get(f"/api/v1/comments/{2**64}/"), 404)
