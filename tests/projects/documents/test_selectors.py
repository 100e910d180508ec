"""Compliance of obligations: met, due, overdue or missing evidence; per project and per department."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apm.outbox.models import OutboundEmail
from projects.documents import services
from projects.documents.selectors import obligation_rows, portfolio_compliance
from projects.models import Clause, Document, Project
from reports.models import Delivery
from tests import factories
from tests.projects.document_files import pdf
from tests.projects.steps import add_clause

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_it_lists_obligations_as_met_due_overdue_or_missing_evidence(world, pm):
    project = world["alpha_project"]
    today = timezone.localdate()
    deliverable = factories.DeliverableFactory(project=project, status="accepted")
    permit = services.document_create(
        project=project, user=pm, kind="permit", title="Street works permit", upload=pdf()
    )
    for status in ("under_review", "approved"):
        services.document_set_status(document=permit, user=pm, status=status)

    def obligation(number, **kwargs):
        return add_clause(project, pm, number=number, title=f"C{number}", **kwargs)

    obligation("1", evidence="document", evidence_document_kind="permit", deadline=dt.date(2025, 5, 1))
    obligation("2", evidence="deliverable", evidence_deliverable=deliverable)
    obligation("3", evidence="document", evidence_document_kind="nda", deadline=dt.date(2025, 5, 30))
    obligation("4", evidence="document", evidence_document_kind="licence", deadline=dt.date(2025, 7, 1))
    obligation("5")
    obligation("6", evidence="report", evidence_report_kind="highlight", deadline=dt.date(2025, 6, 1))
    states = {row.clause.number: row.state for row in obligation_rows(projects=Project.objects.all(), today=today)}
    assert states == {"1": "met", "2": "met", "3": "overdue", "4": "due", "5": "missing", "6": "overdue"}

    # An expired permit no longer shows the obligation met.
    type(permit).objects.filter(pk=permit.pk).update(expires_on=dt.date(2025, 6, 1))
    states = {row.clause.number: row.state for row in obligation_rows(projects=Project.objects.all(), today=today)}
    assert states["1"] == "overdue"
    line = portfolio_compliance(projects=Project.objects.filter(pk=project.pk), today=today)[0]
    assert [r.clause.number for r in line.overdue] == ["1", "3", "6"]
    assert line.missing_documents == ["Permit", "NDA", "Licence"]
    assert [d.title for d in line.expired_documents] == ["Street works permit"]


def test_it_counts_a_report_sent_as_evidence(world, pm):
    project = world["alpha_project"]
    add_clause(project, pm, number="9", title="Monthly report", evidence="report", evidence_report_kind="highlight")
    report = factories.ReportFactory(project=project, audience="client")
    email = factories.OutboundEmailFactory(kind="report", to=["c@x.example"], status="queued")
    Delivery.objects.create(report=report, email_address="c@x.example", recipient_kind="extra", email=email)
    assert obligation_rows(projects=Project.objects.all(), today=dt.date(2025, 6, 1))[0].state == "due"
    OutboundEmail.objects.filter(pk=email.pk).update(status="sent")
    assert obligation_rows(projects=Project.objects.all(), today=dt.date(2025, 6, 1))[0].state == "met"


def test_it_shows_department_compliance_to_its_head_only(world, pm, head, client):
    add_clause(
        world["alpha_project"],
        pm,
        number="3",
        title="Insurance certificate",
        evidence="document",
        evidence_document_kind="other",
        deadline=dt.date(2020, 1, 1),
    )
    url = reverse("projects:department_compliance", args=["ALPHA"])
    client.force_login(head)
    page = client.get(url).content.decode()
    assert "Insurance certificate" in page
    assert "Overdue" in page
    client.force_login(pm)
    assert client.get(url).status_code == 404
    assert client.get(reverse("projects:compliance", args=["ALPHA-1"])).status_code == 200


def test_it_lists_only_projects_with_something_outstanding_on_department_compliance_a_page_at_a_time(
    world, pm, head, client, django_assert_num_queries
):
    def overdue_duty(project, title):
        Clause.objects.create(
            project=project, number="1", title=title, text="t", evidence="manual", deadline=dt.date(2020, 1, 1)
        )

    alpha = world["alpha"]
    for i in range(52):  # ALPHA-1 and 52 more: 50 with an overdue obligation, 2 clean
        project = factories.ProjectFactory(code=f"C{i:03d}", project_manager=pm, departments=[alpha])
        if i < 50:
            overdue_duty(project, f"Duty {i}")
    overdue_duty(world["alpha_project"], "Duty A")
    url = reverse("projects:department_compliance", args=["ALPHA"])
    client.force_login(head)
    # Obligations met by hand: the documents on file and the reports sent, which no clause names, are not read.
    with django_assert_num_queries(6):
        first = client.get(url).content.decode()
    second = client.get(url, {"page": "2"}).content.decode()
    for page in (first, second):  # the counts cover every obligation of the department
        assert "51 obligations: " in page
        assert "51 of 53 projects need action; 2 with nothing to do are not listed." in page
    assert "Showing 1&ndash;50." in first
    assert "Showing 51&ndash;51." in second
    assert "C049" in second  # ALPHA-1 sorts first, so C049 is the 51st
    assert "C049" not in first
    assert "Duty 49" in second  # the obligations listed are those of the page's projects
    assert "Duty 49" not in first
    assert "C050" not in first + second  # clean: not listed
    with django_assert_num_queries(6):
        assert client.get(url, {"page": "junk"}).status_code == 200


def test_it_lists_a_project_whose_only_obligation_is_due_on_department_compliance(world, head, client):
    """An obligation with its deadline ahead needs action even when nothing is wrong yet (review finding)."""
    Clause.objects.create(
        project=world["alpha_project"],
        number="1",
        title="Quarterly report",
        text="t",
        evidence="manual",
        deadline=timezone.localdate() + dt.timedelta(days=20),
    )
    client.force_login(head)
    page = client.get(reverse("projects:department_compliance", args=["ALPHA"])).content.decode()
    assert "1 obligation: " in page
    assert "1 due" in page
    assert "1 of 1 project needs action; 0 with nothing to do are not listed." in page
    assert "Quarterly report" in page
    assert "Every obligation is met." not in page


def test_it_lists_a_project_whose_only_trouble_is_an_expired_document_on_department_compliance(world, pm, head, client):
    """A project without obligations still needs action for a document past its expiry; one with neither is clean."""
    expired = factories.ProjectFactory(code="E-1", departments=[world["alpha"]], project_manager=pm)
    factories.ProjectFactory(code="E-2", departments=[world["alpha"]], project_manager=pm)
    Document.objects.create(
        project=expired, kind="other", title="Old permit", status="approved", expires_on=dt.date(2020, 1, 1)
    )
    lines = portfolio_compliance(projects=Project.objects.filter(departments=world["alpha"]), today=dt.date(2025, 1, 1))
    assert [(line.project.code, [d.title for d in line.expired_documents]) for line in lines] == [
        ("E-1", ["Old permit"])
    ]
    client.force_login(head)
    page = client.get(reverse("projects:department_compliance", args=["ALPHA"])).content.decode()
    assert "1 of 3 projects needs action; 2 with nothing to do are not listed." in page
    assert "Old permit" in page
