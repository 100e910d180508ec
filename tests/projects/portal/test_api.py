"""The portal's API: a client contact's token reads the client view of their client's projects, their issued
invoices and the client-visible comments, with exactly the client view's keys; another client's rows are a 404,
the team's tokens a 403, a draft is never listed, and each list asks a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.common import client_view
from projects.portal.api import ClientProjectComment
from tests import factories

pytestmark = pytest.mark.django_db


def _ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def _none(values, declaration):
    found = [p for value in values for p in client_view.problems(value, declaration, serialised=True)]
    assert found == []


@pytest.fixture
def alpha(world):
    """ALPHA-1 with an update, a milestone, a deliverable awaiting sign-off, a change awaiting the client (with a
    cost impact) and a client-visible comment and an internal one on the deliverable."""
    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2026, 3, 31), commentary_budget="Internal chat")
    factories.MilestoneFactory(project=project, name="Launch", due_date=dt.date(2026, 6, 1))
    deliverable = factories.DeliverableFactory(project=project, name="Designs", status="awaiting_sign_off")
    apps.get_model("projects", "ChangeRequest").objects.create(
        project=project,
        number=7,
        title="Add a language",
        description="Internal description",
        reason="r",
        client_summary="Adds Welsh.",
        cost_impact=Decimal("76543.21"),
        schedule_impact_days=14,
        approvers="client",
        status="submitted",
        submitted_at=timezone.now(),
    )
    factories.CommentFactory(deliverable=deliverable, project=project, body="Seen by the client", visibility="client")
    factories.CommentFactory(deliverable=deliverable, project=project, body="Team only")
    return project


def test_a_client_token_reads_its_clients_projects_as_the_client_view(alpha, api_as, client_user):
    api = api_as(client_user)
    body = _ok(api.get("/api/v1/portal/projects/"))
    assert [row["code"] for row in body["results"]] == ["ALPHA-1"]
    _none(body["results"], client_view.ClientProjectCard)

    status = _ok(api.get("/api/v1/portal/projects/ALPHA-1/"))
    _none([status], client_view.ClientStatus)
    assert [d["name"] for d in status["deliverables"]] == ["Designs"]
    assert [c["summary"] for c in status["change_requests"]] == ["Adds Welsh."]
    assert [m["name"] for m in status["project"]["milestones"]] == ["Launch"]
    text = str(status)
    for internal in ("76543", "Internal description", "Internal chat"):
        assert internal not in text


def test_another_clients_project_is_a_404_and_the_team_gets_a_403(alpha, api_as, other_client_user, pm):
    other = api_as(other_client_user)
    assert [row["code"] for row in _ok(other.get("/api/v1/portal/projects/"))["results"]] == ["BETA-1"]
    response = other.get("/api/v1/portal/projects/ALPHA-1/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    internal = api_as(pm)
    for url in ("/api/v1/portal/projects/", "/api/v1/portal/invoices/", "/api/v1/portal/comments/"):
        response = internal.get(url)
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"


def test_a_client_token_cannot_write(alpha, api_as, client_user):
    response = api_as(client_user).post("/api/v1/portal/projects/", {}, format="json")
    assert response.status_code in (403, 405)


def test_only_issued_invoices_of_the_own_client_are_listed(world, api_as, client_user):
    acme = factories.billed_as_acme(world["acme"])
    issued = factories.written_invoice(acme, project=world["alpha_project"], number=1, lines=2)
    draft = factories.written_invoice(acme, project=world["alpha_project"])
    theirs = factories.written_invoice(world["globex"], project=world["beta_project"], number=2)
    api = api_as(client_user)
    body = _ok(api.get("/api/v1/portal/invoices/"))
    assert [row["id"] for row in body["results"]] == [issued.pk]
    _none(body["results"], client_view.ClientInvoiceCard)
    one = _ok(api.get(f"/api/v1/portal/invoices/{issued.pk}/"))
    _none([one], client_view.ClientInvoice)
    assert len(one["lines"]) == 2
    assert one["gross_total"] == "240.00"
    for hidden in (draft, theirs):
        assert api.get(f"/api/v1/portal/invoices/{hidden.pk}/").status_code == 404
    for junk in ("not-an-id", "+0.0", "-1", str(2**64)):
        for endpoint in ("invoices", "comments"):
            response = api.get(f"/api/v1/portal/{endpoint}/{junk}/")
            assert response.status_code == 404
            assert response["Content-Type"] == "application/problem+json"
    assert _ok(api.get("/api/v1/portal/invoices/?project=BETA-1"))["results"] == []


def test_comments_are_the_client_visible_ones_only(alpha, api_as, client_user, other_client_user):
    body = _ok(api_as(client_user).get("/api/v1/portal/comments/?project=ALPHA-1"))
    _none(body["results"], ClientProjectComment)
    assert [row["comment"]["body"] for row in body["results"]] == ["Seen by the client"]
    assert body["results"][0]["anchor"] == "deliverable"
    assert _ok(api_as(other_client_user).get("/api/v1/portal/comments/"))["results"] == []
    for junk in ("-3.4e+123", str(2**64), "1.5", "x"):
        response = api_as(client_user).get(f"/api/v1/portal/comments/?change_request={junk}")
        assert response.status_code == 400
        assert "change_request" in response.json()["errors"]


def test_a_token_limited_to_a_project_sees_only_it(world, api_as, client_user):
    second = factories.ProjectFactory(code="ALPHA-2", client=world["acme"])
    api = api_as(client_user, projects=[second])
    assert [row["code"] for row in _ok(api.get("/api/v1/portal/projects/"))["results"]] == ["ALPHA-2"]
    assert api.get("/api/v1/portal/projects/ALPHA-1/").status_code == 404


def _count(api, url):
    with CaptureQueriesContext(connection) as queries:
        _ok(api.get(url))
    return len(queries)


_NUMBERS = itertools.count(1)


def _rows(world, kind, n):
    acme = world["acme"]
    for _ in range(n):
        if kind == "projects":
            factories.ProjectFactory(client=acme)
        elif kind == "invoices":
            factories.written_invoice(acme, project=world["alpha_project"], number=next(_NUMBERS))
        else:
            deliverable = factories.DeliverableFactory(project=world["alpha_project"])
            factories.CommentFactory(deliverable=deliverable, project=world["alpha_project"], visibility="client")


@pytest.mark.parametrize("kind", ["projects", "invoices", "comments"])
def test_each_list_asks_a_fixed_number_of_queries(world, api_as, client_user, kind):
    factories.billed_as_acme(world["acme"])
    api = api_as(client_user)
    url = f"/api/v1/portal/{kind}/?page_size=200"
    _ok(api.get(url))  # the token's first use writes its last use
    _rows(world, kind, 5)
    few = _count(api, url)
    _rows(world, kind, 195)
    assert len(_ok(api.get(url))["results"]) >= 200
    assert _count(api, url) == few
