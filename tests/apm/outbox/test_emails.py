"""Every email APM sends, through the outbox: plain-text subjects, complete HTML documents, automatic replies off.

Each kind of email is a triple of templates in ``templates/emails/``; this
renders every one of them through ``email_render`` with a project, a person and
a schedule named ``Q"'> & Co``, sends it, and reads the message as a mail
program would.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from apm.accounts.services import invitation_create
from apm.outbox.models import OutboundEmail
from apm.outbox.services import SendResult, email_render, outbox_enqueue, outbox_send
from projects.models import (
    Client,
    ContingencyRequest,
    Correspondence,
    Document,
    ExceptionPlan,
    MarginAlert,
    Notification,
    RaidItem,
    ToleranceException,
)
from projects.raid import services as raid
from reports.models import Report, ReportSchedule
from teams.models import TeamMember
from tests import factories

pytestmark = pytest.mark.django_db

EVIL = "Q\"'> & Co"
ENTITIES = re.compile(r"&(?:[a-z]+|#x?[0-9a-f]+);", re.IGNORECASE)
WHEN = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC)
LINK = "https://apm.example.com/projects/Q-1/"


def _contexts() -> dict[str, dict]:
    """A context for every email the app sends; each names something ``EVIL`` in its subject."""
    pm = factories.UserFactory.build(username="pm", first_name=EVIL, last_name="PM")
    project = factories.ProjectFactory.build(code="Q-1", name=EVIL, project_manager=pm)
    item = RaidItem(
        project=project,
        kind="issue",
        title=EVIL,
        description="It <b>broke</b>.",
        raised_by=pm,
        raised_at=WHEN,
        severity="critical",
        affects_client=True,
        ack_deadline=WHEN,
        notified_to=["head@example.com"],
    )
    money = {"bac": Decimal("100000"), "eac": Decimal("120000"), "vac": Decimal("-20000"), "currency": "GBP"}
    figures = {
        **money,
        "tolerance": "±10% of BAC",
        "actual": "+20.0%",
        "eac_method": "CPI",
        "cpi": "0.83",
        "spi": "1.00",
        "forecast_finish": "2026-12-31",
        "baseline_finish": "2026-12-31",
        "as_of": "2026-12-06",
    }
    schedule = ReportSchedule(name=f"{EVIL} weekly", kind="highlight", scope="project", created_by=pm)
    billed = factories.ProjectFactory.build(code="Q-2", name=EVIL, client=Client(name=EVIL), currency="GBP")
    person = TeamMember(name=EVIL)
    report = Report(title=f"{EVIL} highlight report", audience="internal", period_end=WHEN.date())
    return {
        "budget-exception": {
            "project": project,
            "exception": ToleranceException(project=project, kind="cost", summary=f"{EVIL} is over"),
            "figures": figures,
            "subject_names": project.code,
        },
        "budget-threshold": {
            "project": project,
            "alert": {"threshold": 90, "actual_cost": Decimal("90000"), "bac": Decimal("100000")},
            "metrics": {"ev": Decimal("50000"), "percent_complete": 50, "eac_method": "CPI", "eac": money["eac"]},
            "subject_names": project.code,
        },
        "contingency-decided": {
            "project": project,
            "request": ContingencyRequest(
                project=project, amount=Decimal("5000"), reason=EVIL, state="approved", decided_by=pm
            ),
            "subject_names": project.code,
        },
        "exception-plan-decided": {
            "project": project,
            "exception": ToleranceException(project=project, kind="cost", summary=f"{EVIL} is over"),
            "plan": ExceptionPlan(
                recommendation=EVIL, state="rejected", decision_note=f"{EVIL} needs more", decided_by=pm
            ),
            "subject_names": project.code,
        },
        "critical-issue": {"project": project, "item": item, "link": LINK},
        "critical-issue-escalated": {"project": project, "item": item, "link": LINK, "hours": 4},
        "document-reminder": {
            "project": project,
            "manager": pm,
            "document": Document(project=project, kind="contract", title=EVIL),
            "due_on": WHEN.date(),
            "days": 3,
            "what": f"{EVIL} expires in 3 days",
            "link": LINK,
        },
        "document-reminder-reply": {
            "template": "document-reminder",
            "project": project,
            "manager": pm,
            "entry": Correspondence(project=project, subject=EVIL, counterpart_organisation=EVIL, date=WHEN.date()),
            "due_on": WHEN.date(),
            "days": 3,
            "what": f"reply to {EVIL} overdue",
            "link": LINK,
        },
        "invitation": {"user": pm, "invited_by": pm, "link": LINK, "hours": 72},
        "issue-client": {"project": project, "message": "Two weeks late; we are on it.", "item": item},
        "report": {
            "report": report,
            "title": report.title,
            "summary_lines": [f"{EVIL}: on track"],
            "report_url": LINK,
            "recipient_name": EVIL,
            "period_start": WHEN.date(),
            "period_end": WHEN.date(),
        },
        "margin-alert": {
            "project": billed,
            "alert": MarginAlert(project=billed, target_percent=Decimal("25"), forecast_percent=Decimal("16.7")),
            "figures": {
                "model_label": "Fixed price",
                "contract_value": Decimal("12000"),
                "eac": Decimal("10000"),
                "forecast": {"margin": Decimal("2000")},
                "revenue": {"total": Decimal("5000")},
                "to_date": {"cost": Decimal("4000")},
            },
        },
        "timesheet-missing": {
            "member": person,
            "week_start": WHEN.date(),
            "week_end": WHEN.date(),
            "entries_open": 2,
            "link": LINK,
            "subject_names": "Your timesheet",
        },
        "timesheet-unapproved": {
            "member": person,
            "week_start": WHEN.date(),
            "week_end": WHEN.date(),
            "projects": [project],
            "hours": Decimal("37.5"),
            "link": LINK,
        },
        "invoice": {
            "name": EVIL,
            "credit_note": False,
            "what": "invoice",
            "number": "INV-2026-0001",
            "issue_date": "1 Apr 2026",
            "due_date": "1 May 2026",
            "gross": "£1,200.00",
            "currency": "GBP",
            "credited_number": "",
            "credited_date": "",
            "portal_url": LINK,
            "seller": EVIL,
            "buyer": EVIL,
        },
        "invoice-credit-note": {
            "template": "invoice",
            "name": EVIL,
            "credit_note": True,
            "what": "credit note",
            "number": "CN-2026-0001",
            "issue_date": "2 Apr 2026",
            "due_date": "",
            "gross": "-£1,200.00",
            "currency": "GBP",
            "credited_number": "INV-2026-0001",
            "credited_date": "1 Apr 2026",
            "portal_url": "",
            "seller": EVIL,
            "buyer": EVIL,
        },
        "schedule-paused": {"schedule": schedule, "reason": f"{EVIL} left", "owner": pm, "schedules_url": LINK},
        "schedule-recipient-paused": {
            "schedule": schedule,
            "address": "ann@example.com",
            "schedules_url": LINK,
        },
        "notification": {
            "notification": Notification(
                recipient=pm, kind="mention", project=project, actor=pm, text=f"{EVIL} mentioned you"
            ),
            "recipient": pm,
            "link": LINK,
        },
        "digest": {
            "recipient": pm,
            "day": WHEN.date(),
            "count": 1,
            "groups": [{"project": project, "items": [(Notification(text=f"{EVIL} commented"), LINK)]}],
            "centre": LINK,
            "settings_link": LINK,
            "subject_names": "Your APM digest",
        },
    }


class _Document(HTMLParser):
    """What a mail program needs of an HTML part: the doctype, the html element's lang, the title."""

    def __init__(self) -> None:
        super().__init__()
        self.doctype = ""
        self.first_tag = ""
        self.lang = ""
        self.charset = ""
        self.title = ""
        self._in_title = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.first_tag = self.first_tag or tag
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        if tag == "meta":
            self.charset = self.charset or (dict(attrs).get("charset") or "")
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _sent(name: str, context: dict) -> EmailMessage:
    parts = email_render(context.get("template", name), context)
    email = outbox_enqueue(kind="notification", to=["ann@example.com"], **parts)
    assert outbox_send(email_id=email.pk) is SendResult.SENT
    message = message_from_bytes(mail.outbox[-1].message().as_bytes(), policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_it_covers_every_email_template():
    folder = settings.BASE_DIR / "templates" / "emails"
    names = {path.name.removesuffix("-subject.txt") for path in folder.glob("*-subject.txt")}
    assert names == {context.get("template", name) for name, context in _contexts().items()}
    for name in names:
        assert (folder / f"{name}-body-text.txt").is_file()
        assert (folder / f"{name}-body-html.html").is_file()


def test_every_sender_renders_its_email_through_email_render():
    """Plain-text subjects hold only while every email is rendered by ``email_render``."""
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for app in ("apm", "teams", "projects", "reports")
        for path in Path(settings.BASE_DIR / app).rglob("*.py")
        if re.search(r"""render_to_string\(\s*f?["']emails/""", path.read_text("utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize("name", sorted(_contexts()))
def test_it_sends_a_plain_text_subject_and_a_complete_html_document(name):
    context = _contexts()[name]
    message = _sent(name, context)
    subject = message["Subject"]
    assert (context.get("subject_names") or EVIL) in subject
    assert not ENTITIES.search(subject), subject
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert not ENTITIES.search(text.get_content())
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    source = html.get_content()
    document = _Document()
    document.feed(source)
    assert source.lstrip().lower().startswith("<!doctype html>")
    assert document.doctype.lower() == "doctype html"
    assert document.first_tag == "html"
    assert document.lang == "en-GB"
    assert document.charset.lower() == "utf-8"
    assert document.title.strip()
    assert re.search(r"<body[ >].*</body>\s*</html>\s*$", source, re.DOTALL)


def test_the_emails_about_a_project_named_with_quotes_say_its_name_plainly(world, pm, outside_head):
    """Through the services that send them: a critical issue, the client's issue email, an invitation."""
    project = world["alpha_project"]
    project.name = EVIL
    project.save(update_fields=["name"])
    pm.first_name, pm.last_name = EVIL, ""
    pm.save(update_fields=["first_name", "last_name"])
    item = raid.raid_item_create(
        project=project, kind="issue", user=pm, title=EVIL, severity="critical", affects_client=True
    )
    raid.raid_issue_tell_client(item=item, user=pm, message="Two weeks late.")
    invitation_create(user=factories.UserFactory(username="newcomer"), invited_by=pm)
    subjects = dict(OutboundEmail.objects.values_list("kind", "subject").order_by("pk"))
    sent = list(OutboundEmail.objects.order_by("pk").values_list("subject", flat=True))
    assert len(sent) == 3
    assert sent[0].startswith(f"CRITICAL issue on {project.code}: {EVIL} — acknowledge by")
    assert sent[1] == f"{EVIL}: an issue that affects you"
    assert subjects["invitation"] == f"Your APM login from {EVIL}"
    assert not any(ENTITIES.search(subject) for subject in sent)
