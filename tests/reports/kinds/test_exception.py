"""The exception report: its exception plan section (the PDF parsed back to text); "Send now" while one is open."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from pypdf import PdfReader

from projects.budget.services import exception_plans
from reports.models import Report
from reports.rendering import report_render_snapshot
from reports.services.delivery import report_render
from tests.projects.budget.test_exception_plans import raise_exception, submit
from tests.reports.snapshots import build_snapshot

NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def exception_pdf(exception) -> str:
    snapshot = build_snapshot(
        kind="exception",
        scope="project",
        project=exception.project,
        period_start=None,
        period_end=dt.date(2025, 6, 30),
        title="Exception report",
        tolerance_exception_id=exception.pk,
    )
    return pdf_text(report_render_snapshot(snapshot).pdf)


@pytest.fixture
def exception(world):
    return raise_exception(world["alpha_project"])


def test_it_says_no_plan_was_submitted_while_the_pm_has_at_most_a_draft(exception, pm):
    assert "Exception plan No plan submitted yet." in exception_pdf(exception)
    submit(exception, pm, recommendation="A secret draft", submit=False)
    text = exception_pdf(exception)
    assert "No plan submitted yet" in text
    assert "A secret draft" not in text


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_submitted_plan_and_then_the_heads_decision(exception, pm, head):
    plan = submit(
        exception,
        pm,
        options="Cut the second shoot, or ask for more money",
        recommendation="Ask the client to fund the extra rounds",
        forecast_eac=Decimal("118000"),
        forecast_finish=dt.date(2026, 1, 31),
    )
    text = exception_pdf(exception)
    assert "Plan awaiting decision" in text
    assert "Cut the second shoot, or ask for more money" in text
    assert "Ask the client to fund the extra rounds" in text
    assert "£118,000" in text
    assert "31 Jan 2026" in text
    assert "Awaiting the decision of a head of the project's departments" in text
    assert "No plan submitted yet" not in text
    exception_plans.exception_plan_decide(plan=plan, approve=False, note="Try the client first", actor=head)
    text = exception_pdf(exception)
    assert "Rejected by" in text
    assert "1 Jul 2025" in text
    assert "Try the client first" in text
    submit(exception, pm, recommendation="Revised", submit=False)
    text = exception_pdf(exception)
    assert "the last plan was rejected" in text
    assert "Try the client first" in text
    assert "Revised" not in text


def test_it_offers_the_exception_report_in_send_now_only_while_an_exception_is_open(client, world, pm, exception):
    page = reverse("reports:project", args=["ALPHA-1"])
    client.force_login(pm)
    assert 'value="exception"' in client.get(page).content.decode()
    exception.state = "closed"
    exception.save()
    assert 'value="exception"' not in client.get(page).content.decode()
    response = client.post(
        reverse("reports:project_send", args=["ALPHA-1"]), {"kind": "exception", "audience": "internal"}
    )
    assert response.status_code == 302
    assert not Report.objects.exists()


def test_it_sends_the_exception_report_now_about_the_open_exception_with_its_plan(
    client, world, pm, outside_head, exception, published, django_capture_on_commit_callbacks
):
    submit(exception, pm, recommendation="Ask the client to fund it")
    client.force_login(pm)
    send = reverse("reports:project_send", args=["ALPHA-1"])
    response = client.post(send, {"kind": "exception", "audience": "client"})
    assert not Report.objects.exists()
    assert "internal audience only" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send, {"kind": "exception", "audience": "internal"})
    report = Report.objects.get()
    assert (report.kind, report.audience, report.tolerance_exception) == ("exception", "internal", exception)
    assert report.title.startswith("Exception report: ALPHA-1 cost tolerance")
    report_render(report_id=report.pk)
    report.refresh_from_db()
    with report.pdf.open("rb") as stored:
        text = pdf_text(stored.read())
    assert "Cost tolerance broken" in text
    assert "Ask the client to fund it" in text
    addresses = set(report.deliveries.values_list("email_address", flat=True))
    assert {pm.email, outside_head.email} <= addresses  # the requester and the project's reporting head


def test_it_refuses_a_department_page_the_exception_report(client, world, head, exception):
    client.force_login(head)
    assert 'value="exception"' not in client.get(reverse("reports:department", args=["ALPHA"])).content.decode()
    client.post(reverse("reports:department_send", args=["ALPHA"]), {"kind": "exception", "audience": "internal"})
    assert not Report.objects.exists()
