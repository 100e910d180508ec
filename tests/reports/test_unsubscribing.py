"""One-click unsubscribe from a scheduled report (RFC 8058): one recipient of one schedule paused, its owner told.

The schedule's owner is the head of ALPHA (who may send it); the head and two
colleagues receive it. The unsubscribe link of each email is signed for its
recipient and schedule; the POST needs no login and no CSRF token, as a mail
program sends it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from apm.outbox.models import OutboundEmail
from apm.outbox.services import SendResult, outbox_send
from reports.models import Delivery, PausedRecipient, Report, ReportSchedule
from reports.services import report_render, report_request, reports_dispatch_due
from reports.services.unsubscribing import schedule_recipient_pause, unsubscribe_token
from tests import factories
from tests.reports.scheduled import NOW, OCCURRENCE, due_schedule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]

SITE = "https://apm.example.com"
NEXT_WEEK = dt.timedelta(days=7)


@pytest.fixture
def schedule(world, head, travel, published, settings):
    settings.APM_SITE_URL = SITE
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 6, 1))
    return due_schedule(
        name='Alpha "weekly" & more',
        department=world["alpha"],
        extra_recipients="boss@example.com\ncarol@example.com",
        created_by=head,
    )


def _deliver(now: dt.datetime, schedule: ReportSchedule) -> list[OutboundEmail]:
    """Dispatch what is due at ``now``, render it, and return the emails of ``schedule``'s report."""
    for report in reports_dispatch_due(now=now):
        report_render(report_id=report.pk)
    deliveries = Delivery.objects.filter(report__schedule=schedule, report__scheduled_for__lte=now)
    latest = deliveries.order_by("-report__scheduled_for").values_list("report", flat=True).first()
    return [d.email for d in deliveries.filter(report=latest).select_related("email").order_by("pk")]


def _link(email: OutboundEmail) -> str:
    match = re.fullmatch(r"<(https://[^>]+)>", email.headers["List-Unsubscribe"])
    assert match, email.headers
    return match.group(1).removeprefix(SITE)


def _mail_program() -> Client:
    """An anonymous client that enforces CSRF, as a mail provider's one-click POST would meet it."""
    return Client(enforce_csrf_checks=True)


def test_it_gives_every_scheduled_report_email_a_one_click_unsubscribe_link_for_its_recipient(schedule, head):
    emails = _deliver(NOW, schedule)
    assert [e.to for e in emails] == [[head.email], ["boss@example.com"], ["carol@example.com"]]
    links = [_link(e) for e in emails]
    assert len(set(links)) == 3  # one token per recipient
    for email in emails:
        assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert outbox_send(email_id=emails[1].pk) is SendResult.SENT
    sent = mail.outbox[-1].message()
    assert sent["List-Unsubscribe"] == f"<{SITE}{links[1]}>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent["Auto-Submitted"] == "auto-generated"
    assert links[1].startswith("/reports/unsubscribe/")
    # "Open the report in APM" leads to the report's own page (facts, digest, download), not straight to the PDF.
    page = f"{SITE}/reports/{Delivery.objects.get(email=emails[1]).report_id}/"
    assert f'<a href="{page}">Open the report in APM</a>' in emails[1].body_html
    assert page in emails[1].body_text


def test_it_gives_no_unsubscribe_link_to_a_report_asked_for_once(world, head, travel, published, settings):
    settings.APM_SITE_URL = SITE
    report = report_request(
        kind="portfolio", audience="internal", scope="department", department=world["alpha"], requested_by=head
    )
    report_render(report_id=report.pk)
    [email] = OutboundEmail.objects.filter(kind="report")
    assert "List-Unsubscribe" not in email.headers


def test_one_click_pauses_that_recipient_of_that_schedule_only_and_tells_the_owner_once(schedule, head, world):
    other = due_schedule(name="Other", department=world["alpha"], extra_recipients="boss@example.com", created_by=head)
    emails = _deliver(NOW, schedule)
    program = _mail_program()
    response = program.post(_link(emails[1]), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "boss@example.com" in response.content.decode()
    assert list(PausedRecipient.objects.values_list("schedule", "email_address")) == [(schedule.pk, "boss@example.com")]
    [notice] = OutboundEmail.objects.filter(kind="notification")
    assert notice.to == [head.email]
    assert notice.subject == 'boss@example.com stopped receiving Alpha "weekly" & more'
    assert "boss@example.com" in notice.body_text
    # Again (a mail program retries): still 200, nothing new.
    assert program.post(_link(emails[1]), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert PausedRecipient.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="notification").count() == 1

    # The next occurrence goes to everyone else on this schedule; the other schedule still reaches boss.
    next_week = OCCURRENCE + NEXT_WEEK + dt.timedelta(seconds=30)
    assert [e.to for e in _deliver(next_week, schedule)] == [[head.email], ["carol@example.com"]]
    assert [e.to for e in _deliver(next_week, other)] == [[head.email], ["boss@example.com"]]


def test_the_link_opened_in_a_browser_asks_before_it_pauses(schedule):
    emails = _deliver(NOW, schedule)
    link = _link(emails[2])
    page = _mail_program().get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<form method="post" action="' + re.escape(link) + '"', html)
    assert "<button" in html
    assert "carol@example.com" in html
    assert not PausedRecipient.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_answers_a_bad_or_tampered_link_with_a_clear_400(schedule, method):
    token = unsubscribe_token(schedule_id=schedule.pk, address="boss@example.com")
    payload = {"s": schedule.pk, "a": "carol@example.com"}
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
        signing.dumps(payload),  # signed without the unsubscribe salt
        signing.dumps(["not", "a", "dict"], salt="reports.unsubscribe"),  # right salt, wrong shape
        "not-a-token",
    ]
    for bad in forged:
        response = getattr(_mail_program(), method)(reverse("reports:unsubscribe", args=[bad]))
        assert response.status_code == 400, bad
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert not PausedRecipient.objects.exists()
    assert not OutboundEmail.objects.filter(kind="notification").exists()


def test_it_accepts_a_link_of_a_deleted_schedule_as_done(schedule):
    token = unsubscribe_token(schedule_id=schedule.pk, address="boss@example.com")
    schedule.delete()
    response = _mail_program().post(reverse("reports:unsubscribe", args=[token]))
    assert response.status_code == 200
    assert "no longer sent" in response.content.decode()
    assert not PausedRecipient.objects.exists()


def test_the_schedules_page_lists_paused_recipients_and_an_editor_can_undo(client, schedule, head, member):
    emails = _deliver(NOW, schedule)
    _mail_program().post(_link(emails[1]))
    client.force_login(head)
    page = client.get(reverse("reports:schedules")).content.decode()
    resume = reverse("reports:schedule_recipient_resume", args=[schedule.pk])
    assert "boss@example.com" in page
    assert re.search(r'<form method="post" action="' + re.escape(resume) + '"', page)
    assert 'name="address" value="boss@example.com"' in page

    # Someone who may not edit the schedule cannot undo it (it does not exist for them).
    client.force_login(member)
    assert client.post(resume, {"address": "boss@example.com"}).status_code == 404
    assert PausedRecipient.objects.count() == 1

    client.force_login(head)
    response = client.post(resume, {"address": "BOSS@example.com"})
    assert response.status_code == 302
    assert not PausedRecipient.objects.exists()
    page = client.get(reverse("reports:schedules")).content.decode()
    assert "boss@example.com receives" in page  # the message
    assert 'value="boss@example.com"' not in page
    next_week = OCCURRENCE + NEXT_WEEK + dt.timedelta(seconds=30)
    assert ["boss@example.com"] in [e.to for e in _deliver(next_week, schedule)]


def test_undo_of_a_recipient_who_is_not_paused_says_so(client, schedule, head):
    client.force_login(head)
    resume = reverse("reports:schedule_recipient_resume", args=[schedule.pk])
    response = client.post(resume, {"address": "nobody@example.com"}, follow=True)
    assert response.status_code == 200
    assert "nobody@example.com was not paused" in response.content.decode()


def test_send_now_of_a_schedule_skips_its_paused_recipients_and_carries_the_unsubscribe_link(
    client, schedule, head, world
):
    schedule_recipient_pause(schedule=schedule, address="Boss@example.com", now=NOW)
    client.force_login(head)
    response = client.post(reverse("reports:schedule_send", args=[schedule.pk]))
    assert response.status_code == 302
    report = Report.objects.get(schedule=schedule)
    report_render(report_id=report.pk)
    emails = [d.email for d in Delivery.objects.filter(report=report).select_related("email").order_by("pk")]
    assert [e.to for e in emails] == [[head.email], ["carol@example.com"]]
    for email in emails:
        assert _link(email).startswith("/reports/unsubscribe/")
        assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
