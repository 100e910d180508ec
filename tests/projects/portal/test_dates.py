"""Every date on the portal's pages carries its year ("6 Dec 2026", never "6 Dec")."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import reverse

from projects.portal.services import share_link_create
from tests import factories

pytestmark = pytest.mark.django_db

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
#: "6 Dec", "6 December", "Dec 6", "December 6th": a day and a month side by side.
DAY_AND_MONTH = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}|\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b")
YEAR_AFTER = re.compile(r"\s*,?\s*\d{4}\b")


class Text(HTMLParser):
    """The text of a page (scripts and styles left out), one string per text node."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def dates_in(html: str) -> tuple[list[str], list[str]]:
    """(dates with a year, dates without one) in the text of ``html``."""
    parser = Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    dated: list[str] = []
    bare: list[str] = []
    for match in DAY_AND_MONTH.finditer(text):
        after = YEAR_AFTER.match(text, match.end())
        (dated if after else bare).append(match.group(0) + (after.group(0) if after else ""))
    return dated, bare


def test_it_reads_dates_with_and_without_years():
    assert dates_in("<p>Due 6 Dec 2026, was 5 December, now Dec 4 and Jan 3rd, 2027</p>") == (
        ["6 Dec 2026", "Jan 3rd, 2027"],
        ["5 December", "Dec 4"],
    )


@pytest.fixture
def dated_world(world, pm):
    project = world["alpha_project"]
    for as_of in (dt.date(2026, 10, 30), dt.date(2026, 11, 27), dt.date(2026, 12, 4)):
        factories.StatusUpdateFactory(project=project, as_of=as_of, period_label="", work_done="Built it")
    factories.MilestoneFactory(
        project=project, name="Kick-off", due_date=dt.date(2026, 9, 1), completed_on=dt.date(2026, 9, 2)
    )
    factories.MilestoneFactory(project=project, name="Launch", due_date=dt.date(2027, 3, 1))
    deliverable = factories.DeliverableFactory(
        project=project, status="awaiting_sign_off", due_date=dt.date(2026, 12, 6)
    )
    report = factories.ReportFactory(project=project, audience="client", title="Highlight report", snapshot={})
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    apps.get_model("projects", "Document").objects.create(
        project=project,
        kind="permit",
        title="Permit",
        status="approved",
        visibility="client",
        expires_on=dt.date(2027, 1, 9),
    )
    return {
        "project": project,
        "deliverable": deliverable,
        "token": share_link_create(project=project, user=pm, days=7).token,
    }


def test_it_gives_every_date_on_the_portal_pages_a_year(client, dated_world, client_user):
    client.force_login(client_user)
    sign_off = reverse("portal:sign_off", args=["ALPHA-1", dated_world["deliverable"].pk])
    pages = {
        "home": client.get(reverse("portal:home")),
        "status": client.get(reverse("portal:project", args=["ALPHA-1"])),
        "confirmation": client.post(sign_off, {"decision": "accept"}),
    }
    client.logout()
    pages["shared"] = client.get(reverse("portal:shared", args=[dated_world["token"]]))
    for name, response in pages.items():
        assert response.status_code == 200, name
        dated, bare = dates_in(response.content.decode())
        assert bare == [], f"{name}: dates without a year {bare}"
        assert "6 Dec 2026" in dated, name
    dated, _ = dates_in(pages["status"].content.decode())
    assert {"30 Oct 2026", "4 Dec 2026", "2 Sep 2026", "1 Mar 2027", "9 Jan 2027"} <= set(dated)
