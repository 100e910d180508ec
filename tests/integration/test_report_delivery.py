"""The main job end to end on real services: dispatch -> Celery worker -> WeasyPrint PDF -> SMTP.

A real ``celery -A apm worker`` subprocess (prefork, concurrency 1, not
eager) renders and sends through Redis into the same PostgreSQL test
database, and a local SMTP server captures the email. Then every step is
repeated (dispatch again, the render and send tasks published again) and
still exactly one report and one email per recipient exist.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from apm.outbox.models import EmailStatus, OutboundEmail
from apm.outbox.tasks import send_email
from projects.rag import RAG
from reports.models import Delivery, Report, ReportStatus
from reports.rendering import format_money
from reports.services import reports_dispatch_due
from reports.tasks import render_report
from tests import factories

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DELIVERY_TIMEOUT = 90
# (code, name, RAG, BAC, budget for the period, forecast for the period)
PROJECTS = [
    ("INT-1", "Harbour Radar Upgrade", RAG.RED, Decimal("2500000.00"), Decimal("400000.00"), Decimal("520000.00")),
    ("INT-2", "Payroll Consolidation", RAG.AMBER, Decimal("1250000.50"), Decimal("150000.00"), Decimal("149500.25")),
    ("INT-3", "Clinic Booking Portal", RAG.GREEN, Decimal("780000.00"), Decimal("90000.00"), Decimal("87000.00")),
    ("INT-4", "Border Data Exchange", RAG.GREEN, Decimal("3100000.00"), Decimal("260000.00"), Decimal("300000.00")),
    ("INT-5", "Flood Sensor Network", "", Decimal("640000.00"), Decimal("55000.00"), Decimal("61000.00")),
]


def seed():
    """A department with five projects (varied RAG and money) and two heads with email."""
    department = factories.DepartmentFactory(code="INTG", name="Integration Department")
    heads = [
        factories.UserFactory(username="int_head", email="int.head@example.com", role="department_head"),
        factories.UserFactory(username="int_deputy", email="int.deputy@example.com", role="department_head"),
    ]
    department.heads.add(*heads)
    # The run falls due a minute ago, and the ratings are dated on the run's own day: within the report's
    # period, so none is stale (counted apart) and all five are counted, even when the test starts at midnight.
    due = timezone.now() - dt.timedelta(minutes=1)
    as_of = timezone.localdate(due)
    for code, name, rag, bac, budget, forecast in PROJECTS:
        project = factories.ProjectFactory(code=code, name=name, rag=rag, bac=bac, departments=[department])
        factories.StatusUpdateFactory(
            project=project, as_of=as_of, rag=rag, rating_published=rag.title() if rag else "",
            budget_period=budget, forecast_period=forecast,
        )  # fmt: skip
    schedule = factories.ReportScheduleFactory(
        name="Integration weekly portfolio",
        kind="portfolio",
        audience="internal",
        scope="department",
        department=department,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        next_run_at=due,
    )
    return department, heads, schedule


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout}s waiting for {what}")


def words(text: str) -> str:
    return " ".join(text.split())


def test_it_renders_and_emails_the_portfolio_report_once_through_a_real_worker(celery_worker_process, smtp_server):
    _port, captured = smtp_server
    _department, heads, schedule = seed()
    recipients = sorted(head.email for head in heads)

    [report] = reports_dispatch_due(now=timezone.now())
    assert report.status == ReportStatus.QUEUED

    def all_sent() -> bool:
        sent = OutboundEmail.objects.filter(delivery__report=report, status=EmailStatus.SENT).count()
        return sent == len(recipients) and len(captured.messages) >= len(recipients)

    wait_until(all_sent, DELIVERY_TIMEOUT, "the report emails to reach the SMTP server")
    report.refresh_from_db()
    assert report.status == ReportStatus.RENDERED, report.last_error
    assert sorted(rcpt for rcpts, _raw in captured.messages for rcpt in rcpts) == recipients

    rows = {row.email_address: row.email for row in Delivery.objects.filter(report=report).select_related("email")}
    for rcpts, raw in captured.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        outbox_row = rows[rcpts[0]]
        assert message["Message-ID"] == outbox_row.message_id
        assert message["Subject"] == f"[Internal] {report.title}"  # a portfolio report is internal
        [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
        pdf = attachment.get_content()
        assert pdf.startswith(b"%PDF")

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == report.page_count
    full_text = words(" ".join(page.extract_text() or "" for page in reader.pages))
    for _code, name, *_rest in PROJECTS:
        assert name in full_text
    first_page = words(reader.pages[0].extract_text() or "")
    assert "RAG: 1 red, 1 amber, 2 green, 1 not rated" in first_page
    bac = sum(p[3] for p in PROJECTS)
    budget = sum(p[4] for p in PROJECTS)
    forecast = sum(p[5] for p in PROJECTS)
    expected_money = [format_money(value, "GBP") for value in (bac, budget, forecast, forecast - budget)]
    assert expected_money == ["£8,270,001", "£955,000", "£1,117,500", "£162,500"]
    for figure in expected_money:
        assert figure in first_page, (figure, first_page)
    assert re.search(r"£8,270,001.*£955,000.*£1,117,500.*£162,500", first_page)

    # Everything again: a second dispatch, and the render and send tasks
    # delivered a second time (as after a lost acknowledgement).
    assert reports_dispatch_due(now=timezone.now()) == []
    task_ids = [render_report.apply_async(args=[report.pk]).id]
    task_ids += [send_email.apply_async(args=[row.pk]).id for row in rows.values()]
    for task_id in task_ids:
        celery_worker_process.wait_for(f"[{task_id}] succeeded", DELIVERY_TIMEOUT)

    assert Report.objects.filter(schedule=schedule).count() == 1
    assert Delivery.objects.filter(report=report).count() == len(recipients)
    assert OutboundEmail.objects.count() == len(recipients)
    assert sorted(rcpt for rcpts, _raw in captured.messages for rcpt in rcpts) == recipients
    report.refresh_from_db()
    assert report.tries == 1
