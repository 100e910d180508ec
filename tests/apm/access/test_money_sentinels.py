"""The money sentinel sweep: nobody without ``access.see_money`` finds a planted figure anywhere they can reach.

The world (``tests/access_world.py``) plants distinctive money and rates on
ALPHA-1 (BAC, period budget and forecast, whole-life cost, a budget line, an
expense, a contingency request, a change's cost impact, a person's cost and
bill rates); :func:`plant_the_money_loop` adds the margin's: rate cards (a
role's card, a client's override, a project's override), time logged at them
in every approval state (each entry's bill rate and bill amount), a fixed
price and a billing milestone fallen due, the client's margin target, and so
the revenue, margin and forecast margin computed from them. For every
relationship that may not see ALPHA-1's money (by the
policy: a head or PM only on the team, a team member, the client's contact,
another client's contact) every URL is opened on ALPHA-1's objects, as a page
and as an htmx fragment, following redirects; real client and internal PDFs
are rendered and every PDF they can download is read back to text; then the
emails the product sends while the project is worked on (reports, an
invitation, a critical issue, time approved and rejected, the margin alert,
timesheet reminders) are read for every address of those people. No figure
may appear: thousands separators, spaces,
currency signs are stripped before searching, and "£987.7m"-style
abbreviations are searched for too.

Each client has an issued invoice (its time at the planted bill rate) and a
draft: a client's contact is billed the figures of their client's issued
invoices, so those (:func:`invoiced`) are allowed to that contact on the
portal's invoice pages, and nowhere else; another client's invoice, a draft,
a cost rate, a cost or a margin is still a leak.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader

from apm import access
from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.billing.margin import project_margin
from projects.budget.services.approval import time_entries_decide, timesheet_week_submit
from projects.budget.services.checks import budget_check
from projects.budget.services.costs import time_entry_record
from projects.budget.services.reminders import timesheet_reminders_send
from projects.conversation.services import comment_create
from projects.models import (
    BillingMilestone,
    BillingModel,
    BillRate,
    ClientContact,
    Invoice,
    InvoiceState,
    MarginAlert,
    Notification,
    ProjectBilling,
    TimeEntry,
)
from projects.notifications import producers
from projects.portal.services import client_contact_invite
from projects.raid import services as raid_services
from reports.models import Report
from reports.rendering import report_render_snapshot
from reports.services import report_render
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.access_world import SENTINELS, World, build_world, populate, rate_for
from tests.apm.access.test_sweep import GET_ONLY, fill, swept_routes, url_for

pytestmark = pytest.mark.django_db


def needles(value: Decimal) -> list[str]:
    """The ways a figure may be written, after :func:`flatten`: whole, with pence, in thousands and millions."""
    whole = int(value)
    forms = {str(whole), f"{value:.2f}".replace(".", "")}
    for unit, divisor in (("k", 10**3), ("m", 10**6), ("bn", 10**9)):
        if whole >= divisor * 10:
            scaled = Decimal(whole) / divisor
            forms |= {f"{scaled:.1f}{unit}", f"{scaled:.2f}{unit}", f"{scaled:.1f}", f"{scaled:.2f}"}
    return sorted(forms)


def flatten(text: str) -> str:
    """``text`` without thousands separators, spaces and currency signs (so "£987,654,321" is "987654321")."""
    return re.sub(r"[,\s\u00a0\u202f'\u2019_£$€¥]", "", text)


#: The money loop's figures :func:`plant_the_money_loop` plants on both projects (per hour, or money in GBP).
MARGIN_SENTINELS = {
    "card_rate": Decimal("7314.29"),
    "client_rate": Decimal("6203.18"),
    "project_rate": Decimal("5192.07"),
    "contract_value": Decimal("7531902.00"),
    "milestone": Decimal("2468013.00"),
}
#: The clients' margin target (%), searched for as it is written ("73.19"), never as "73", which any page has.
MARGIN_TARGET = Decimal("73.19")
#: The time each person of ALPHA-1's team logs there, by its approval once planted: (date, hours, approval).
TIME = (
    (dt.date(2025, 3, 3), Decimal("7.25"), "approved"),
    (dt.date(2025, 3, 11), Decimal("6.5"), "rejected"),
    (dt.date(2025, 3, 19), Decimal("5.75"), "submitted"),
    (dt.date(2025, 3, 25), Decimal("2.5"), "open"),
)


def leaks(
    text: str, planted: Mapping[str, Decimal] | None = None, *, allowed: frozenset[Decimal] = frozenset()
) -> list[str]:
    """The names of the sentinels found in ``text``: those of ``tests/access_world.py``, the money loop's
    (:data:`MARGIN_SENTINELS`, the target) and ``planted`` (figures computed from them in a test), except those
    whose figure is ``allowed`` (what the reader is billed: :func:`invoiced`)."""
    flat = flatten(text)
    found = [
        name
        for name, value in {**SENTINELS, **MARGIN_SENTINELS, **(planted or {})}.items()
        if value not in allowed and any(needle in flat for needle in needles(value))
    ]
    if str(MARGIN_TARGET) in flat:
        found.append("margin_target")
    return found


def pdf_text(data: bytes) -> str:
    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    except Exception:  # a test file that is not a real PDF: read its bytes
        return data.decode("latin-1")


#: An SVG chart's geometry (a timeline's "x=736.5"): coordinates, never a figure, but they can read as a
#: sentinel in millions once flattened. Dropped from a page before the search.
SVG_GEOMETRY = re.compile(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r|rx|ry|width|height|d|points|viewBox|transform)="[^"]*"')


def body_of(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf") or data.startswith(b"%PDF"):
        return pdf_text(data)
    return SVG_GEOMETRY.sub(" ", data.decode("utf-8", errors="replace"))


def render_real_pdfs(world: World) -> None:
    """Replace ALPHA-1's test report PDFs with real renders of its client and internal highlight reports."""
    for key in ("client_report", "internal_report"):
        report: Report = world.own.objects[key]
        snapshot = report_build_snapshot(
            kind="highlight",
            audience=report.audience,
            scope="project",
            project=world.project,
            period_start=None,
            period_end=dt.date(2025, 3, 31),
            title=report.title,
        )
        rendered = report_render_snapshot(snapshot)
        report.pdf.save(f"real-{key}.pdf", ContentFile(rendered.pdf), save=False)
        report.snapshot = snapshot
        report.save(update_fields=["pdf", "snapshot"])


def plant_the_money_loop(world: World) -> dict[str, Decimal]:
    """The margin's figures on both projects (see the module docstring); returns the figures computed from them,
    by name: every entry's bill amount, each project's revenue, margin to date and forecast margin (their size:
    a page may print a margin with either sign)."""
    users = world.users
    pm = users["pm"]
    developer, designer, analyst = (factories.JobRoleFactory(title=title) for title in ("Dev", "Designer", "Analyst"))
    card = {"currency": "GBP", "valid_from": dt.date(2025, 1, 1)}
    for role in (developer, designer, analyst):
        BillRate.objects.create(job_role=role, rate=MARGIN_SENTINELS["card_rate"], **card)
    for client in (world.project.client, world.other_project.client):
        client.margin_target_percent = MARGIN_TARGET
        client.save(update_fields=["margin_target_percent"])
    BillRate.objects.create(
        job_role=designer, client=world.project.client, rate=MARGIN_SENTINELS["client_rate"], **card
    )
    BillRate.objects.create(job_role=developer, project=world.project, rate=MARGIN_SENTINELS["project_rate"], **card)
    # ALPHA-1's team: the member at the project's rate, the head on the team at the client's, the PM on the
    # team at the card's; GAMMA-1's person at the card's.
    team = {
        users["member"]: developer,
        users["head_on_team"]: designer,
        users["pm_on_team"]: analyst,
    }
    for user, role in team.items():
        user.team_member.job_role = role
        user.team_member.save(update_fields=["job_role"])
        if not user.team_member.rates.exists():
            rate_for(user.team_member)
    gus = world.other.objects["person"]
    gus.job_role = developer
    gus.save(update_fields=["job_role"])
    world.other_project.team_members.add(gus)
    for project, manager in ((world.project, pm), (world.other_project, users["admin"])):
        ProjectBilling.objects.create(
            project=project, model=BillingModel.FIXED_PRICE, contract_value=MARGIN_SENTINELS["contract_value"]
        )
        BillingMilestone.objects.create(
            project=project, name="Discovery", amount=MARGIN_SENTINELS["milestone"], due_on=dt.date(2025, 2, 14)
        )
        people = [user.team_member for user in team] if project == world.project else [gus]
        for person in people:
            logged = {
                approval: time_entry_record(member=person, project=project, date=day, hours=hours, actor=person.user)
                for day, hours, approval in TIME
            }
            for day, _hours, approval in TIME:
                if approval != "open":
                    timesheet_week_submit(member=person, week_start=day - dt.timedelta(days=day.weekday()))
            time_entries_decide(project=project, entry_ids=[logged["approved"].pk], approve=True, actor=manager)
            time_entries_decide(
                project=project,
                entry_ids=[logged["rejected"].pk],
                approve=False,
                comment="Wrong project: log it on the other one.",
                actor=manager,
            )
    assert set(TimeEntry.objects.values_list("approval", flat=True)) == {"approved", "rejected", "submitted", "open"}
    billed = TimeEntry.objects.filter(billable=True)  # the world's own hours are not billable
    assert set(billed.values_list("bill_rate_source", flat=True)) == {"project", "client", "role"}
    figures = {
        f"bill_amount_{n}": amount for n, amount in enumerate(sorted(set(billed.values_list("bill_amount", flat=True))))
    }
    for project in (world.project, world.other_project):
        for as_of in (dt.date(2025, 3, 31), timezone.localdate()):  # the reports' period end, the pages' today
            margin = project_margin(project=project, as_of=as_of)
            assert margin.below_target  # a margin alert is raised on the next budget check
            figures[f"{project.code}_revenue"] = margin.revenue.total
            figures[f"{project.code}_margin_{as_of}"] = abs(margin.to_date.margin)
            if margin.forecast is not None:
                figures[f"{project.code}_forecast_margin_{as_of}"] = abs(margin.forecast.margin)
    return figures


def _figures(invoice: Invoice) -> set[Decimal]:
    """The money on ``invoice``: its lines' unit prices (and a converted line's source price), nets and taxes, and
    its totals."""
    found = {invoice.net_total, invoice.tax_total, invoice.gross_total}
    for line in invoice.lines.all():
        found |= {line.unit_price, line.net, line.tax}
        if line.source_unit_price is not None:
            found.add(line.source_unit_price)
    return found


def invoice_figures(world: World) -> dict[str, Decimal]:
    """Both clients' invoices' figures, by name, to search for (those of 1,000 or more: a shorter figure is found
    in any page)."""
    return {
        f"{side.project.code}_{key}_{n}": figure
        for side in (world.own, world.other)
        for key in ("issued_invoice", "draft_invoice")
        for n, figure in enumerate(sorted(_figures(side.objects[key])))
        if abs(figure) >= 1000
    }


def invoiced(user) -> frozenset[Decimal]:
    """The figures ``user`` is billed: those of the issued (paid, void) invoices of the client whose contact they
    are; none for anyone else."""
    contact = ClientContact.objects.filter(user=user).first() if user.is_authenticated else None
    if contact is None:
        return frozenset()
    issued = Invoice.objects.filter(client=contact.client_id).exclude(state=InvoiceState.DRAFT)
    return frozenset(figure for invoice in issued for figure in _figures(invoice))


@pytest.fixture
def world(db) -> World:
    world = populate(build_world())
    world.own.objects["margin_figures"] = plant_the_money_loop(world) | invoice_figures(world)
    return world


def planted(world: World) -> dict[str, Decimal]:
    return world.own.objects["margin_figures"]


def without_money(world: World) -> list[str]:
    """The relationships the policy keeps from ALPHA-1's money (signed in)."""
    return [
        key
        for key, user in world.users.items()
        if key != "anonymous" and not access.see_money.allows(user, world.project)
    ]


def test_it_plants_figures_that_the_people_with_money_do_see(client, world):
    """A control: the PM's budget page shows the planted figures, so their absence below means something."""
    client.force_login(world.users["pm"])
    page = client.get(f"/projects/{world.project.code}/budget/")
    assert {"budget_line", "expense", "contingency"} <= set(leaks(page.content.decode()))
    detail = client.get(f"/projects/{world.project.code}/").content.decode()
    assert "bac" in leaks(detail)
    activity = client.get(f"/projects/{world.project.code}/activity/?kind=change").content.decode()
    assert "cost_impact" in leaks(activity), "the feed tells the PM of the change of cost"
    # The rate cards show every rate to an administrator; the internal report the project's money loop.
    client.force_login(world.users["admin"])
    rates = client.get("/projects/rates/").content.decode()
    assert {"card_rate", "client_rate", "project_rate"} <= set(leaks(rates))
    render_real_pdfs(world)
    internal = pdf_text(world.own.objects["internal_report"].pdf.read())
    assert {"milestone", "ALPHA-1_margin_2025-03-31", "margin_target"} <= set(leaks(internal, planted(world)))
    # Approving the time checked the budget: the forecast margin is under the client's target.
    assert MarginAlert.objects.filter(project=world.project, closed_at=None).exists()


def test_it_shows_no_figure_on_any_page_fragment_or_pdf_to_those_without_money(client, world):
    render_real_pdfs(world)
    keys = without_money(world)
    assert set(keys) == {"head_on_team", "pm_on_team", "member", "contact", "other_contact"}
    failures, opened_pdfs = [], set()
    for key in keys:
        client.force_login(world.users[key])
        billed = invoiced(world.users[key])
        for route in swept_routes():
            if route.name in GET_ONLY:
                continue
            # What the reader is billed is allowed on their invoices' pages only: a bill rate shown anywhere
            # else in the portal is still a leak.
            allowed = billed if route.name.startswith("portal:invoice") else frozenset()
            url = url_for(route, fill(route, world.own))
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, follow=True, headers=headers)
                if response.status_code != 200:
                    continue
                text = body_of(response)
                if response.get("Content-Type", "").startswith("application/pdf"):
                    opened_pdfs.add((key, route.name))
                found = leaks(text, planted(world), allowed=allowed)
                if found:
                    failures.append(f"{url} {'(htmx) ' if headers else ''}shows {found} to {key}")
    assert failures == []
    # The sweep read real report PDFs: the client report, by the people who may open it; and the client's invoice.
    assert ("member", "reports:pdf") in opened_pdfs
    assert ("contact", "portal:report_pdf") in opened_pdfs
    assert ("contact", "portal:invoice_pdf") in opened_pdfs
    # A control: the contact's invoice, page and PDF, shows what they are billed (so what is allowed was on a
    # swept page), and nothing of another client's invoice or of a draft.
    contact = world.users["contact"]
    client.force_login(contact)
    invoice = world.own.objects["issued_invoice"]
    for url in (f"/portal/invoices/{invoice.pk}/", f"/portal/invoices/{invoice.pk}/pdf/"):
        text = body_of(client.get(url))
        shown = leaks(text, planted(world))
        assert "bill_rate" in shown, url
        assert any(name.startswith("ALPHA-1_issued_invoice_") for name in shown), url
        assert leaks(text, planted(world), allowed=invoiced(contact)) == [], url


def test_it_emails_no_figure_to_those_without_money(world, django_capture_on_commit_callbacks, published):
    """Work on the project that sends email; nobody without the money receives a figure."""
    users, project = world.users, world.project
    pm = users["pm"]
    # A client highlight report rendered and delivered (PDF attached) to the client's opted-in contacts,
    # and the internal one to the reporting heads; an invitation; a critical issue told to the client.
    for audience in ("client", "internal"):
        report = factories.ReportFactory(
            project=project,
            audience=audience,
            title=f"Sentinel {audience}",
            scheduled_for=dt.datetime(2025, 4, 1, 6, tzinfo=dt.UTC),
            status="queued",
            queued_at=dt.datetime(2025, 4, 1, 6, tzinfo=dt.UTC),
            requested_by=pm,
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert report_render(report_id=report.pk).status == "rendered"
    client_contact_invite(contact=project.client.contacts.get(), invited_by=pm)
    issue = factories.RaidItemFactory(
        project=project, kind="issue", severity="critical", affects_client=True, client_message="Delivery slips."
    )
    raid_services.raid_issue_tell_client(item=issue, user=pm)
    # The forecast margin is below the client's target: the alert goes to those who see the margin. The
    # weeks waiting and not submitted are reminded to the person and the PM.
    MarginAlert.objects.all().delete()
    assert budget_check(project=project).margin_alert is not None
    assert timesheet_reminders_send(today=dt.date(2025, 3, 18)) >= 1
    assert timesheet_reminders_send(today=dt.date(2025, 3, 26)) >= 1
    for email in OutboundEmail.objects.all():
        outbox_send(email_id=email.pk)

    addresses = {users[key].email.lower() for key in without_money(world)}
    # A person is emailed at their own address (their timesheet reminders), which may not be their login's.
    addresses |= {
        users[key].team_member.email.lower() for key in without_money(world) if hasattr(users[key], "team_member")
    }
    addresses |= {contact.email.lower() for contact in project.client.contacts.all()}
    read, failures = 0, []
    for message in mail.outbox:
        to = {address.lower() for address in message.to}
        if not to & addresses:
            continue
        read += 1
        parts = [message.subject, message.body]
        parts += [content for content, _type in getattr(message, "alternatives", [])]
        parts += [pdf_text(attachment[1]) for attachment in message.attachments if isinstance(attachment, tuple)]
        found = leaks("\n".join(str(part) for part in parts), planted(world))
        if found:
            failures.append(f"{message.subject!r} to {sorted(to)} shows {found}")
    assert failures == []
    # Control: the client's contact got the report (with its PDF), the invitation and the issue.
    assert read >= 3
    # The member was reminded of their weeks, and nobody without the margin got the margin alert.
    reminded = [m for m in mail.outbox if users["member"].team_member.email in m.to]
    assert reminded, "the member was reminded of the week their time was rejected"
    alerts = [m for m in mail.outbox if "margin" in m.subject.lower()]
    assert alerts, "the margin alert went to the PM and the heads"
    assert not {a.lower() for m in alerts for a in m.to} & addresses
    internal = [m for m in mail.outbox if m.subject.startswith("[Internal]")]
    assert internal, "the internal report went to its reporting head"
    assert any(leaks(pdf_text(a[1])) for m in internal for a in m.attachments), "the internal PDF has the money"
    assert any("milestone" in leaks(pdf_text(a[1]), planted(world)) for m in internal for a in m.attachments), (
        "the internal PDF has the revenue"
    )


#: A figure the team writes in an internal comment (a team member may read it: comments are words, not money
#: fields), which no page a client's contact reaches may show.
COMMENT_FIGURE = Decimal("8642097.53")


def test_it_shows_no_internal_comments_figure_to_a_client(client, world, published):
    pm = world.users["pm"]
    for anchor in (world.own.objects["deliverable"], world.own.objects["change_request"]):
        comment_create(anchor=anchor, author=pm, body=f"Internal: it costs £{COMMENT_FIGURE:,}.", visibility="internal")
    comment_create(
        anchor=world.own.objects["deliverable"], author=pm, body="For you: page 3 is fixed.", visibility="client"
    )
    failures = []
    for key in ("contact", "other_contact"):
        client.force_login(world.users[key])
        for route in swept_routes():
            if route.name in GET_ONLY:
                continue
            url = url_for(route, fill(route, world.own))
            response = client.get(url, follow=True)
            if response.status_code == 200 and "comment" in leaks(body_of(response), {"comment": COMMENT_FIGURE}):
                failures.append(f"{url} shows the internal comment's figure to {key}")
    assert failures == []
    # Controls: the contact reads the comment meant for them on the portal; the team reads the internal one.
    client.force_login(world.users["contact"])
    assert "For you: page 3 is fixed." in client.get(f"/portal/{world.project.code}/").content.decode()
    client.force_login(world.users["member"])
    page = client.get(f"/projects/{world.project.code}/deliverables/{world.own.objects['deliverable'].pk}/")
    assert "comment" in leaks(page.content.decode(), {"comment": COMMENT_FIGURE})


def test_it_notifies_no_figure_to_those_without_money(client, world, published):
    """Events that notify (the change request with its planted cost submitted to both sides, tasks assigned and
    due, a deliverable sent to sign-off, a critical issue): nobody without the money finds a figure in their
    notifications, their notification centre or the notification emails sent to them."""
    users, project = world.users, world.project
    pm = users["pm"]
    change = world.own.objects["change_request"]
    change.approvers = "both"
    change.save(update_fields=["approvers"])
    producers.change_request_submitted_notify(change_request=change, actor=pm)
    producers.sign_off_requested_notify(deliverable=world.own.objects["deliverable"], actor=pm)
    everyone = [user.email for user in users.values() if getattr(user, "email", "")]
    producers.critical_issue_notify(item=world.own.objects["raid_item"], emailed=everyone)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for task in project.tasks.all():
        producers.task_assignees_notify(task=task, people=project.team_members.all(), actor=pm)
        task.due_date = tomorrow
        task.save(update_fields=["due_date"])
    producers.work_due_notify()
    for email in OutboundEmail.objects.all():
        outbox_send(email_id=email.pk)

    failures, told = [], set()
    for key in without_money(world):
        user = users[key]
        texts = list(Notification.objects.filter(recipient=user).values_list("text", flat=True))
        told |= {key} if texts else set()
        client.force_login(user)
        texts.append(body_of(client.get("/notifications/")))  # an icon's path data is no figure
        texts += [f"{m.subject}\n{m.body}" for m in mail.outbox if user.email in m.to]
        found = leaks("\n".join(texts), planted(world))
        if found:
            failures.append(f"{key} is notified of {found}")
    assert failures == []
    # Controls: the client's contact was asked to decide and the team member was given work.
    assert {"contact", "member"} <= told
