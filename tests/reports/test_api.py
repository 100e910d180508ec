"""The reports API: the reports one may open (and asking for one now, as "Send now"), the schedules one manages."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import Report, ReportStatus
from tests import factories

pytestmark = pytest.mark.django_db


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def reports(world):
    alpha = world["alpha_project"]
    return {
        "internal": factories.ReportFactory(project=alpha, title="Alpha internal"),
        "client": factories.ReportFactory(project=alpha, audience="client", title="Alpha client"),
        "beta": factories.ReportFactory(project=world["beta_project"], title="Beta internal"),
        "department": factories.ReportFactory(
            project=None, scope="department", department=world["beta"], kind="portfolio", title="Beta department"
        ),
    }


def _titles(client, url="/api/v1/reports/"):
    return sorted(row["title"] for row in _results(client.get(url)))


def test_each_person_lists_the_reports_they_may_open(reports, pm, head, outside_head, member, admin_user, api_as):
    assert _titles(api_as(pm)) == ["Alpha client", "Alpha internal"]
    assert _titles(api_as(head)) == ["Alpha client", "Alpha internal"]
    assert _titles(api_as(outside_head)) == ["Alpha client", "Alpha internal", "Beta department", "Beta internal"]
    assert _titles(api_as(member)) == ["Alpha client"]
    assert len(_titles(api_as(admin_user))) == 4
    _problem(api_as(member).get(f"/api/v1/reports/{reports['internal'].pk}/"), 404)
    assert _titles(api_as(pm), "/api/v1/reports/?audience=internal") == ["Alpha internal"]


def test_a_client_token_gets_a_403_on_reports_and_schedules(reports, client_user, api_as):
    _problem(api_as(client_user).get("/api/v1/reports/"), 403)
    _problem(api_as(client_user).get("/api/v1/schedules/"), 403)


def test_a_rendered_report_links_its_protected_pdf(reports, pm, api_as):
    report = reports["internal"]
    body = api_as(pm).get(f"/api/v1/reports/{report.pk}/").json()
    assert body["download_url"] is None  # no file yet
    report.pdf.save("alpha.pdf", ContentFile(b"%PDF-1.7"), save=True)
    body = api_as(pm).get(f"/api/v1/reports/{report.pk}/").json()
    assert body["download_url"].endswith(f"/reports/{report.pk}/pdf/")
    assert (body["kind"], body["audience"], body["scope"], body["project"]) == (
        "highlight",
        "internal",
        "project",
        "ALPHA-1",
    )


def test_a_write_token_asks_for_a_report_through_the_service(world, pm, api_as, published):
    response = api_as(pm, write=True).post(
        "/api/v1/reports/", {"kind": "highlight", "audience": "internal", "project": "ALPHA-1"}, format="json"
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert (report.kind, report.audience, report.project, report.requested_by) == (
        "highlight",
        "internal",
        world["alpha_project"],
        pm,
    )
    assert report.status == ReportStatus.QUEUED
    assert response.json()["id"] == report.pk


def test_a_head_asks_for_a_department_report(world, head, api_as, published):
    response = api_as(head, write=True).post(
        "/api/v1/reports/", {"kind": "portfolio", "audience": "internal", "department": "ALPHA"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Report.objects.get().department == world["alpha"]


def test_a_read_token_may_not_ask_for_a_report(world, pm, api_as, published):
    body = {"kind": "highlight", "audience": "internal", "project": "ALPHA-1"}
    _problem(api_as(pm).post("/api/v1/reports/", body, format="json"), 403)
    assert not Report.objects.exists()


def test_a_member_may_not_send_reports(world, member, api_as, published):
    for audience in ("internal", "client"):
        body = {"kind": "highlight", "audience": audience, "project": "ALPHA-1"}
        _problem(api_as(member, write=True).post("/api/v1/reports/", body, format="json"), 403)
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "portfolio", "audience": "internal", "project": "ALPHA-1"},
        {"kind": "highlight", "audience": "everyone", "project": "ALPHA-1"},
        {"kind": "nonsense", "audience": "internal", "project": "ALPHA-1"},
        {"kind": "highlight", "audience": "internal", "project": "BETA-1"},
        {"kind": "highlight", "audience": "internal", "project": "NOPE"},
        {"kind": "highlight", "audience": "internal"},
        {"kind": "highlight", "audience": "internal", "project": "ALPHA-1", "department": "ALPHA"},
        {"kind": ["highlight"], "audience": "internal", "project": "ALPHA-1"},
        {"kind": "portfolio", "audience": "client", "department": "ALPHA"},
    ],
)
def test_bad_requests_are_a_400_problem_that_queues_nothing(world, pm, head, api_as, published, body):
    who = head if "department" in body and "project" not in body else pm
    assert _problem(api_as(who, write=True).post("/api/v1/reports/", body, format="json"), 400)["detail"]
    assert not Report.objects.exists()


def test_schedules_are_listed_to_those_who_manage_them(world, pm, head, member, admin_user, api_as):
    factories.ReportScheduleFactory(name="Alpha department", department=world["alpha"])
    factories.ProjectReportScheduleFactory(name="Alpha weekly", project=world["alpha_project"])
    factories.ProjectReportScheduleFactory(name="Beta weekly", project=world["beta_project"])

    def names(user):
        return [row["name"] for row in _results(api_as(user).get("/api/v1/schedules/"))]

    assert names(pm) == ["Alpha weekly"]
    assert names(head) == ["Alpha department", "Alpha weekly"]
    assert names(member) == []
    assert names(admin_user) == ["Alpha department", "Alpha weekly", "Beta weekly"]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_the_report_list_takes_the_same_queries_for_5_and_200_reports(world, pm, api_as):
    alpha = world["alpha_project"]
    for _ in range(5):
        factories.ReportFactory(project=alpha, requested_by=pm)
    few = _count(api_as(pm), "/api/v1/reports/?page_size=200")
    for _ in range(195):
        factories.ReportFactory(project=alpha, requested_by=pm)
    many = _count(api_as(pm), "/api/v1/reports/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


def test_the_schedule_list_takes_the_same_queries_for_5_and_200_schedules(world, pm, api_as):
    alpha = world["alpha_project"]
    for _ in range(5):
        factories.ProjectReportScheduleFactory(project=alpha, created_by=pm)
    few = _count(api_as(pm), "/api/v1/schedules/?page_size=200")
    for _ in range(195):
        factories.ProjectReportScheduleFactory(project=alpha, created_by=pm)
    many = _count(api_as(pm), "/api/v1/schedules/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


def test_a_token_limited_to_projects_asks_only_about_them(world, head, api_as, published):
    limited = api_as(head, write=True, projects=[world["alpha_project"]])
    department = {"kind": "portfolio", "audience": "internal", "department": "ALPHA"}
    assert "department" in _problem(limited.post("/api/v1/reports/", department, format="json"), 400)["errors"]
    assert not Report.objects.exists()
    project = {"kind": "highlight", "audience": "internal", "project": "ALPHA-1"}
    assert limited.post("/api/v1/reports/", project, format="json").status_code == 201
