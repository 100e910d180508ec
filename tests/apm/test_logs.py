"""Structured logs: a report's render and its email's send carry their ids as record fields."""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import sys

import pytest
import time_machine
from django.conf import settings

from apm.logs import TextFormatter, log_ids
from apm.outbox.services import SendResult, outbox_send
from reports.models import Delivery
from reports.services import report_render, reports_dispatch_due
from tests import factories

pytestmark = pytest.mark.django_db

# Monday 9 June 2025, 09:00 BST, and a moment just after it.
OCCURRENCE = dt.datetime(2025, 6, 9, 8, 0, tzinfo=dt.UTC)
NOW = OCCURRENCE + dt.timedelta(seconds=30)
OURS = ("reports.services", "apm.outbox.services")


@pytest.fixture
def render_and_send(world, head, published, caplog, django_capture_on_commit_callbacks):
    """Dispatch, render and send one scheduled report; returns (report, delivery, our log records)."""
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 6, 1))
    schedule = factories.ReportScheduleFactory(name="Alpha weekly", department=world["alpha"], next_run_at=OCCURRENCE)
    caplog.set_level(logging.INFO)
    with time_machine.travel(NOW, tick=False):
        [report] = reports_dispatch_due(now=NOW)
        with django_capture_on_commit_callbacks(execute=True):
            report_render(report_id=report.pk)
        delivery = Delivery.objects.filter(report=report).order_by("pk").first()
        assert outbox_send(email_id=delivery.email_id) is SendResult.SENT
    assert report.schedule_id == schedule.pk
    return report, delivery, [record for record in caplog.records if record.name in OURS]


def _fields(record: logging.LogRecord) -> dict[str, int]:
    return {
        key: getattr(record, key)
        for key in ("report_id", "schedule_id", "delivery_id", "email_id")
        if hasattr(record, key)
    }


def test_it_logs_dispatch_render_delivery_and_send_with_the_ids_as_fields(render_and_send):
    report, delivery, records = render_and_send
    by_message = {record.getMessage().split(":")[0]: record for record in records}
    queued = by_message[f"Schedule {report.schedule_id}"]
    assert _fields(queued) == {"report_id": report.pk, "schedule_id": report.schedule_id}
    rendered = next(r for r in records if r.getMessage().startswith(f"Report {report.pk} rendered"))
    assert _fields(rendered) == {"report_id": report.pk, "schedule_id": report.schedule_id}
    delivered = next(r for r in records if f"delivery {delivery.pk} " in r.getMessage())
    assert _fields(delivered) == {
        "report_id": report.pk,
        "schedule_id": report.schedule_id,
        "delivery_id": delivery.pk,
        "email_id": delivery.email_id,
    }
    sent = next(r for r in records if r.getMessage().startswith(f"Email {delivery.email_id} sent"))
    assert _fields(sent) == {"email_id": delivery.email_id}
    # Every line of ours about a report or an email carries at least one id.
    assert all(_fields(record) for record in records), [r.getMessage() for r in records if not _fields(r)]


def _configured(name: str) -> logging.Formatter:
    """The formatter ``name`` exactly as settings.LOGGING builds it."""
    configurator = logging.config.DictConfigurator(settings.LOGGING)
    return configurator.configure_formatter(dict(settings.LOGGING["formatters"][name]))


def test_it_writes_the_ids_as_json_keys(render_and_send):
    report, delivery, records = render_and_send
    formatter = _configured("json")
    lines = [json.loads(formatter.format(record)) for record in records]
    delivered = next(line for line in lines if line.get("delivery_id") == delivery.pk)
    assert delivered["report_id"] == report.pk
    assert delivered["schedule_id"] == report.schedule_id
    assert delivered["email_id"] == delivery.email_id
    assert delivered["level"] == "INFO"
    assert delivered["logger"] == "reports.services"
    assert f"delivery {delivery.pk}" in delivered["message"]
    assert dt.datetime.fromisoformat(delivered["time"]).tzinfo is not None
    sent = next(line for line in lines if line["message"].startswith(f"Email {delivery.email_id} sent"))
    assert sent["email_id"] == delivery.email_id
    assert "report_id" not in sent


def test_it_appends_the_ids_to_readable_text(render_and_send):
    report, delivery, records = render_and_send
    formatter = _configured("text")
    assert isinstance(formatter, TextFormatter)
    delivered = next(formatter.format(r) for r in records if getattr(r, "delivery_id", None) == delivery.pk)
    assert delivered.endswith(
        f"report_id={report.pk} schedule_id={report.schedule_id} delivery_id={delivery.pk} email_id={delivery.email_id}"
    )
    assert " INFO " in delivered


def test_it_keeps_a_traceback_below_the_line_with_the_ids():
    logger = logging.getLogger("tests.logs")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logger.makeRecord(
            logger.name,
            logging.ERROR,
            __file__,
            1,
            "Rendering report %s failed",
            (7,),
            sys.exc_info(),
            extra=log_ids(report_id=7),
        )
    first, *rest = TextFormatter("%(levelname)s %(message)s").format(record).splitlines()
    assert first == "ERROR Rendering report 7 failed report_id=7"
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "RuntimeError: boom"


def test_it_refuses_an_unknown_field_and_drops_missing_ids():
    assert log_ids(report_id=1, email_id=None) == {"report_id": 1}
    with pytest.raises(ValueError, match="report_di"):
        log_ids(report_di=1)
