"""Personal access tokens: shown once and stored only as a digest, scoped, expiring, revocable, rate-limited,
and gone with their person."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from apm.accounts.models import AuditEvent, AuditKind
from apm.api.models import ApiToken
from apm.api.services import token_create, token_digest, token_revoke
from apm.errors import Refused

pytestmark = pytest.mark.django_db


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def test_a_token_is_stored_only_as_its_digest_and_works_as_a_bearer_token(world, pm):
    row, token = token_create(user=pm, name="CRM sync", can_write=False, days=30)
    assert token.startswith(f"apm_{row.prefix}_")
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert token not in {str(value) for value in stored.values()}
    assert stored["digest"] == token_digest(token)
    assert AuditEvent.objects.filter(kind=AuditKind.API_TOKEN_CREATED, user=pm).count() == 1

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/projects/")
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["ALPHA-1"]
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert row.last_used_ip == "127.0.0.1"


def test_without_a_token_or_with_a_wrong_one_the_answer_is_a_401_problem(world, pm):
    _row, token = token_create(user=pm, name="x", can_write=False, days=30)
    body = _problem(APIClient().get("/api/v1/projects/"), 401)
    assert body["type"] == "about:blank"
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "apm_short", "garbage", token + "x"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {wrong}")
        response = client.get("/api/v1/projects/")
        _problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(world, pm, api_as):
    client = api_as(pm, days=1)
    assert client.get("/api/v1/projects/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        _problem(client.get("/api/v1/projects/"), 401)


def test_a_revoked_token_is_refused_and_revoking_is_audited(world, pm, api_as):
    client = api_as(pm)
    row = ApiToken.objects.get(user=pm)
    token_revoke(token=row, by=pm)
    _problem(client.get("/api/v1/projects/"), 401)
    assert AuditEvent.objects.filter(kind=AuditKind.API_TOKEN_REVOKED, target=f"api_token:{row.pk}").count() == 1


def test_only_its_owner_or_an_administrator_revokes_a_token(world, pm, member, admin_user):
    row, _token = token_create(user=pm, name="x", can_write=False, days=30)
    with pytest.raises(Refused):
        token_revoke(token=row, by=member)
    token_revoke(token=row, by=admin_user)
    assert ApiToken.objects.get(pk=row.pk).state == "revoked"


def test_deactivating_a_person_revokes_their_tokens(world, pm, api_as):
    client = api_as(pm)
    pm.is_active = False
    pm.save()
    assert ApiToken.objects.get(user=pm).revoked_at is not None
    _problem(client.get("/api/v1/projects/"), 401)


def test_a_read_token_may_not_write(world, pm, api_as):
    body = _problem(api_as(pm).post("/api/v1/projects/", {}, format="json"), 403)
    assert "read" in body["detail"]
    # A write token passes the scope (and meets the endpoint's own answer: projects are not created here).
    assert api_as(pm, write=True).post("/api/v1/projects/", {}, format="json").status_code == 405


def test_the_token_service_refuses_what_it_should(world, pm, client_user):
    with pytest.raises(Refused, match="name"):
        token_create(user=pm, name="  ", can_write=False, days=30)
    with pytest.raises(Refused, match="days"):
        token_create(user=pm, name="x", can_write=False, days=0)
    with pytest.raises(Refused, match="days"):
        token_create(user=pm, name="x", can_write=False, days=10_000)
    with pytest.raises(Refused, match="only read"):
        token_create(user=client_user, name="x", can_write=True, days=30)
    with pytest.raises(Refused, match="projects you can see"):
        token_create(user=pm, name="x", can_write=False, days=30, projects=[world["beta_project"]])
    assert not ApiToken.objects.exists()


def test_a_token_limited_to_projects_sees_only_those(world, admin_user, api_as):
    everything = api_as(admin_user).get("/api/v1/projects/").json()
    assert [row["code"] for row in everything["results"]] == ["ALPHA-1", "BETA-1"]
    limited = api_as(admin_user, projects=[world["beta_project"]])
    assert [row["code"] for row in limited.get("/api/v1/projects/").json()["results"]] == ["BETA-1"]
    _problem(limited.get("/api/v1/projects/ALPHA-1/"), 404)


def test_over_the_rate_limit_the_answer_is_a_429_with_retry_after(world, pm, api_as, settings):
    settings.APM_API_RATE_PER_MINUTE = 3
    client = api_as(pm)
    assert [client.get("/api/v1/projects/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/projects/")
    _problem(response, 429)
    assert int(response["Retry-After"]) > 0
    # Another token of the same person counts on its own.
    assert api_as(pm).get("/api/v1/projects/").status_code == 200


def test_a_client_contacts_token_is_sent_to_the_portal_endpoints(world, client_user, api_as):
    body = _problem(api_as(client_user).get("/api/v1/projects/"), 403)
    assert "/api/v1/portal/" in body["detail"]


def test_reads_carry_an_etag_and_answer_304_when_unchanged(world, pm, api_as):
    client = api_as(pm)
    first = client.get("/api/v1/projects/ALPHA-1/")
    etag = first["ETag"]
    assert etag.startswith('"')
    again = client.get("/api/v1/projects/ALPHA-1/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    world["alpha_project"].name = "Alpha Project renamed"
    world["alpha_project"].save()
    changed = client.get("/api/v1/projects/ALPHA-1/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_an_address_no_endpoint_answers_is_a_404_problem(world, pm, api_as):
    for path in ("/api/v1/projects/ALPHA-1/nope/", "/api/v1/nothing/", "/api/v1/projects/ALPHA-1/x/y/"):
        _problem(api_as(pm).get(path), 404)


def test_money_is_there_only_for_those_who_may_see_it(world, pm, member, api_as):
    assert api_as(pm).get("/api/v1/projects/ALPHA-1/").json()["money"]["currency"]
    assert api_as(member).get("/api/v1/projects/ALPHA-1/").json()["money"] is None


def test_the_schema_and_docs_are_for_signed_in_people(world, member, api_as, client):
    assert APIClient().get("/api/schema/").status_code == 401
    schema = api_as(member).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/projects/" in schema.json()["paths"]
    client.force_login(member)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_the_project_list_takes_the_same_queries_for_5_and_200_projects(world, head, pm, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    client = api_as(head)
    client.get("/api/v1/projects/")  # the token's first use is stamped once
    counts = []
    made = 0
    for total in (5, 200):
        for n in range(made, total):
            manager = factories.UserFactory(username=f"pm-{n}")  # each row its own PM: a join, never a query a row
            factories.ProjectFactory(code=f"P-{n}", project_manager=manager, departments=[world["alpha"]])
        made = total
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/projects/", {"page_size": 200})
        assert response.status_code == 200
        assert len(response.json()["results"]) >= total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_failing_cache_lets_requests_through_rather_than_failing_them(world, pm, api_as, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("Redis does not answer")

    monkeypatch.setattr(cache, "get", broken)
    assert api_as(pm).get("/api/v1/projects/").status_code == 200
