"""Quality reports on a schedule and by "Send now": dispatched, rendered, parsed back and emailed to the
recipients of their audience (internal: the department's heads; client: the project's opted-in contacts)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.delivery import services as delivery
from projects.quality import services as quality
from projects.quality.services import CheckInput
from reports.models import Report, ReportStatus
from reports.services import report_render, reports_dispatch_due
from tests import factories
from tests.reports.scheduled import NOW, due_schedule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]

# Thursday 5 June 2025: inside the week the Monday 9 June occurrence covers.
REVIEWED = dt.datetime(2025, 6, 5, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def reviewed(world, pm, member):
    """ALPHA-1 with one standard and a poster whose review failed its spelling check in the period."""
    project = world["alpha_project"]
    house = factories.QualityStandardFactory(name="House style")
    spelling = factories.QualityCriterionFactory(standard=house, text="Spelling")
    house.projects.add(project)
    with time_machine.travel(REVIEWED, tick=False):
        poster = delivery.deliverable_create(project=project, user=pm, name="Poster", due_date=dt.date(2025, 7, 1))
        delivery.deliverable_transition(deliverable=poster, to="in_progress", user=pm)
        delivery.deliverable_transition(deliverable=poster, to="in_review", user=pm)
        quality.review_record(
            deliverable=poster, reviewer=member, checks=[CheckInput(spelling.pk, "failed", note="Typo")]
        )
    return project


def pdf_text(report: Report) -> str:
    with report.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def render_and_send(report: Report, capture) -> tuple[Report, list[str]]:
    with capture(execute=True):
        rendered = report_render(report_id=report.pk)
    assert rendered.status == ReportStatus.RENDERED, rendered.last_error
    for email in OutboundEmail.objects.filter(delivery__report=report):
        outbox_send(email_id=email.pk)
    return rendered, sorted(address for message in mail.outbox for address in message.to)


def test_it_runs_a_departments_internal_quality_schedule_and_emails_its_heads(
    reviewed, world, head, member, travel, published, django_capture_on_commit_callbacks
):
    due_schedule(name="Alpha quality", kind="quality", department=world["alpha"])

    [report] = reports_dispatch_due(now=NOW)
    rendered, recipients = render_and_send(report, django_capture_on_commit_callbacks)

    assert (report.kind, report.audience, report.scope) == ("quality", "internal", "department")
    assert (report.period_start, report.period_end) == (dt.date(2025, 6, 3), dt.date(2025, 6, 9))
    assert recipients == [head.email]
    [message] = mail.outbox
    assert message.subject == "[Internal] Alpha quality, 9 June 2025"
    assert [(name, mimetype) for name, _content, mimetype in message.attachments] == [
        (message.attachments[0][0], "application/pdf")
    ]
    text = pdf_text(rendered)
    assert "Pass rate per standard" in text
    assert "House style" in text
    assert member.get_full_name() in text  # the reviewer: internal only


def test_it_runs_a_projects_client_quality_schedule_to_the_opted_in_contacts_without_reviewers(
    reviewed, world, member, travel, published, django_capture_on_commit_callbacks
):
    due_schedule(
        name="Alpha quality for Acme", kind="quality", audience="client", scope="project", department=None,
        project=world["alpha_project"], send_to_reporting_heads=False, send_to_client_contacts=True,
    )  # fmt: skip

    [report] = reports_dispatch_due(now=NOW)
    rendered, recipients = render_and_send(report, django_capture_on_commit_callbacks)

    assert recipients == ["ann@acme.example"]
    assert not mail.outbox[0].subject.startswith("[Internal]")
    text = pdf_text(rendered)
    assert "House style" in text
    assert member.get_full_name() not in text


def test_it_sends_a_quality_report_now_from_the_project_and_department_pages(client, world, head, published):
    client.force_login(head)
    for url, audience in (
        (reverse("reports:project_send", args=["ALPHA-1"]), "client"),
        (reverse("reports:project_send", args=["ALPHA-1"]), "internal"),
        (reverse("reports:department_send", args=["ALPHA"]), "internal"),
    ):
        response = client.post(url, {"kind": "quality", "audience": audience}, follow=True)
        assert "Report queued" in response.content.decode()
    queued = Report.objects.filter(kind="quality").order_by("pk")
    assert [(r.scope, r.audience) for r in queued] == [
        ("project", "client"),
        ("project", "internal"),
        ("department", "internal"),
    ]
    # A client-audience quality report covers one project: not offered, and refused, on a department page.
    page = client.get(reverse("reports:department", args=["ALPHA"])).context["send_form"]
    assert [value for value, _label in page.fields["audience"].choices] == ["internal"]
    client.post(reverse("reports:department_send", args=["ALPHA"]), {"kind": "quality", "audience": "client"})
    assert Report.objects.filter(kind="quality").count() == 3
