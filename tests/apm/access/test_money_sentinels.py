"""The money sentinel sweep: nobody without ``access.see_money`` finds a planted figure anywhere they can reach.

The world (``tests/access_world.py``) plants distinctive money and rates on
ALPHA-1 (BAC, period budget and forecast, whole-life cost, a budget line, an
expense, a contingency request, a change's cost impact, a person's cost and
bill rates). For every relationship that may not see ALPHA-1's money (by the
policy: a head or PM only on the team, a team member, the client's contact,
another client's contact) every URL is opened on ALPHA-1's objects, as a page
and as an htmx fragment, following redirects; real client and internal PDFs
are rendered and every PDF they can download is read back to text; then the
emails the product sends while the project is worked on are read for every
address of those people. No figure may appear: thousands separators, spaces,
currency signs are stripped before searching, and "£987.7m"-style
abbreviations are searched for too.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from pypdf import PdfReader

from apm import access
from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.portal.services import client_contact_invite
from projects.raid import services as raid_services
from reports.models import Report
from reports.rendering import report_render_snapshot
from reports.services import report_render
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.access_world import SENTINELS, World, build_world, populate
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


def leaks(text: str) -> list[str]:
    flat = flatten(text)
    return [name for name, value in SENTINELS.items() if any(needle in flat for needle in needles(value))]


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


@pytest.fixture
def world(db) -> World:
    return populate(build_world())


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


def test_it_shows_no_figure_on_any_page_fragment_or_pdf_to_those_without_money(client, world):
    render_real_pdfs(world)
    keys = without_money(world)
    assert set(keys) == {"head_on_team", "pm_on_team", "member", "contact", "other_contact"}
    failures, opened_pdfs = [], set()
    for key in keys:
        client.force_login(world.users[key])
        for route in swept_routes():
            if route.name in GET_ONLY:
                continue
            url = url_for(route, fill(route, world.own))
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, follow=True, headers=headers)
                if response.status_code != 200:
                    continue
                text = body_of(response)
                if response.get("Content-Type", "").startswith("application/pdf"):
                    opened_pdfs.add((key, route.name))
                found = leaks(text)
                if found:
                    failures.append(f"{url} {'(htmx) ' if headers else ''}shows {found} to {key}")
    assert failures == []
    # The sweep read real report PDFs: the client report, by the people who may open it.
    assert ("member", "reports:pdf") in opened_pdfs
    assert ("contact", "portal:report_pdf") in opened_pdfs


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
    for email in OutboundEmail.objects.all():
        outbox_send(email_id=email.pk)

    addresses = {users[key].email.lower() for key in without_money(world)}
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
        found = leaks("\n".join(str(part) for part in parts))
        if found:
            failures.append(f"{message.subject!r} to {sorted(to)} shows {found}")
    assert failures == []
    # Control: the client's contact got the report (with its PDF), the invitation and the issue.
    assert read >= 3
    internal = [m for m in mail.outbox if m.subject.startswith("[Internal]")]
    assert internal, "the internal report went to its reporting head"
    assert any(leaks(pdf_text(a[1])) for m in internal for a in m.attachments), "the internal PDF has the money"
