"""A report's own page: what the archive leaves out (size, pages, SHA-256), its deliveries, 404 for others."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from apm.outbox.models import EmailStatus, OutboundEmail
from reports.models import Delivery, ReportStatus
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a report\n%%EOF\n"
DIGEST = hashlib.sha256(PDF).hexdigest()


def rendered(*, project=None, department=None, audience="internal", title="Alpha report"):
    report = factories.ReportFactory(
        kind="highlight" if project is not None else "portfolio",
        audience=audience,
        scope="project" if project is not None else "department",
        project=project,
        department=department,
        title=title,
        period_start=dt.date(2025, 5, 27),
        period_end=dt.date(2025, 6, 2),
        status=ReportStatus.RENDERED,
    )
    report.pdf.save(f"report-{report.pk}.pdf", ContentFile(PDF), save=False)
    report.page_count = 4
    report.sha256 = DIGEST
    report.rendered_at = dt.datetime(2025, 6, 2, 8, 1, tzinfo=dt.UTC)
    report.save()
    return report


def deliver(report, address: str, status: str) -> Delivery:
    email = OutboundEmail.objects.create(
        kind="report", message_id=f"<{report.pk}.{address}@apm.example>", from_email="apm@example.com",
        to=[address], subject=report.title, body_text="-",
        status=status, queued_at=timezone.now(),
        sent_at=timezone.now() if status == EmailStatus.SENT else None,
        last_error="550 mailbox full" if status == EmailStatus.FAILED else "",
    )  # fmt: skip
    return Delivery.objects.create(
        report=report, email_address=address, recipient_name="", recipient_kind="reporting_head", email=email
    )


def test_it_shows_the_digest_size_pages_and_deliveries(client, world, head):
    report = rendered(project=world["alpha_project"])
    deliver(report, "head@example.com", EmailStatus.SENT)
    deliver(report, "boss@example.com", EmailStatus.FAILED)
    client.force_login(head)

    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()

    assert "Alpha report" in html
    assert DIGEST in html
    assert f"{len(PDF)}\xa0bytes" in html
    assert '<dt class="col-sm-4">Pages</dt><dd class="col-sm-8">4</dd>' in html
    assert "27 May 2025 \u2013 2 Jun 2025" in html
    assert "ALPHA-1 — Alpha Project" in html
    assert "Internal (costs, rates, margins)" in html
    assert "head@example.com" in html
    assert ">Sent</span>" in html
    assert "boss@example.com" in html
    assert "550 mailbox full" in html
    assert reverse("reports:pdf", args=[report.pk]) in html


def test_it_links_each_archive_row_and_scope_page_row_to_the_report(client, world, head):
    report = rendered(project=world["alpha_project"])
    client.force_login(head)
    detail = reverse("reports:detail", args=[report.pk])
    assert f'href="{detail}"' in client.get(reverse("reports:archive")).content.decode()
    assert f'href="{detail}"' in client.get(reverse("reports:project", args=["ALPHA-1"])).content.decode()


def test_it_shows_a_client_their_client_report_without_the_recipients(client, world, client_user):
    report = rendered(project=world["alpha_project"], audience="client", title="Alpha client report")
    deliver(report, "ann@acme.example", EmailStatus.SENT)
    deliver(report, "someone@acme.example", EmailStatus.SENT)
    client.force_login(client_user)

    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()

    assert DIGEST in html
    assert "someone@acme.example" not in html
    assert "Internal (costs" not in html


@pytest.mark.parametrize(
    ("role", "which"),
    [
        ("client_user", "internal"),  # a client never sees an internal report
        ("other_client_user", "client"),  # nor another client's report
        ("member", "internal"),  # on the team, without the money
        ("outside_head", "portfolio"),  # another department's portfolio
    ],
)
def test_it_is_404_for_those_who_may_not_see_the_report(client, world, users, role, which):
    reports = {
        "internal": rendered(project=world["alpha_project"]),
        "client": rendered(project=world["alpha_project"], audience="client"),
        "portfolio": rendered(department=world["alpha"]),
    }
    client.force_login(users[role])
    assert client.get(reverse("reports:detail", args=[reports[which].pk])).status_code == 404


def test_it_is_404_for_a_report_that_does_not_exist_and_shows_one_not_yet_rendered(client, world, head):
    client.force_login(head)
    assert client.get("/reports/999999/").status_code == 404
    queued = factories.ReportFactory(
        kind="portfolio", scope="department", department=world["alpha"], title="Queued", status=ReportStatus.QUEUED
    )
    html = client.get(reverse("reports:detail", args=[queued.pk])).content.decode()
    assert ">Queued</span>" in html
    assert "not yet" in html
    assert reverse("reports:pdf", args=[queued.pk]) not in html


def test_it_says_so_when_the_pdf_file_is_gone(client, world, head):
    report = rendered(department=world["alpha"], title="Lost file")
    report.pdf.storage.delete(report.pdf.name)
    client.force_login(head)
    response = client.get(reverse("reports:detail", args=[report.pk]))
    assert response.status_code == 200
    assert '<dt class="col-sm-4">Size</dt><dd class="col-sm-8">—</dd>' in response.content.decode()


@pytest.mark.parametrize(
    ("status", "label"), [(ReportStatus.CHUNKING, "Rendering in parts"), (ReportStatus.ASSEMBLING, "Assembling")]
)
def test_it_shows_a_large_report_being_laid_out_in_parts_on_its_page_and_in_the_polling_list(
    client, world, head, status, label
):
    report = factories.ReportFactory(
        kind="portfolio", scope="department", department=world["alpha"], title="Large one", status=status
    )
    client.force_login(head)
    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert f'<span class="badge report-status report-status-{status}">{label}</span>' in html
    assert "not yet" in html
    assert reverse("reports:pdf", args=[report.pk]) not in html
    listed = client.get(reverse("reports:department", args=["ALPHA"])).content.decode()
    assert f">{label}</span>" in listed
    assert 'data-hx-trigger="every 5s"' in listed
