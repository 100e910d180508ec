"""After ``manage.py setup_demo`` every demo login lands on a page that offers something to do, and it works.

For each login (``demo``, ``pm``, ``member``, ``client``, password DEMO_PASSWORD): log in, GET "/",
follow the redirect to the landing page (apm.access.users.home_page), collect the links of the
page's action areas and follow each of them (200; a link to an anchor finds that anchor there).
The action areas: on a PM's desk the cards' lists (overdue, waiting for a decision, replies due,
documents expiring, tolerances and capacity), on the client portal "Waiting for you", on the
project list (``member``, and ``demo``, an administrator) the projects table.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from urllib.parse import urldefrag

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from projects.demo import money
from projects.models import Client as Account
from projects.models import TimeEntry
from reports.management.commands.setup_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


class _Links(HTMLParser):
    """The links inside the elements ``tag`` whose class list holds ``css_class``, in page order, with the
    text of each; and every id of the page (to check an anchor)."""

    def __init__(self, tag: str, css_class: str) -> None:
        super().__init__()
        self.tag, self.css_class = tag, css_class
        self.depth = 0  # > 0 while inside a matching element (counts nested ``tag`` elements)
        self.links: list[list[str]] = []  # [href, text]
        self.ids: set[str] = set()
        self._in_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")
        if tag == self.tag and (self.depth or self.css_class in (attributes.get("class") or "").split()):
            self.depth += 1
        if tag == "a" and self.depth and attributes.get("href"):
            self.links.append([attributes["href"] or "", ""])
            self._in_link = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = False
        if tag == self.tag and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_link:
            self.links[-1][1] += data


def _links(html: str, tag: str, css_class: str) -> tuple[list[tuple[str, str]], set[str]]:
    parser = _Links(tag, css_class)
    parser.feed(html)
    return [(href, " ".join(text.split())) for href, text in parser.links], parser.ids


# login -> (landing path, the action area (tag, class), link texts that must be among its links)
LANDINGS = {
    "pm": (
        "/projects/desk/",
        ("ul", "desk-list"),
        (
            "Client sign-off: Design concepts",  # deliverables awaiting client sign-off
            "CR-2: Extra round of user testing",  # change requests submitted
            "Filming and hoarding permit",  # permits expiring within 30 days
            "Cost tolerance broken",  # MDC-BRAND's
            "Tom Morgan over capacity",  # people over capacity
            "Time to approve: Tom Morgan",  # the member's last week, submitted
        ),
    ),
    "client": (
        "/portal/",
        ("section", "portal-waiting"),
        ("Design concepts", "Add a Welsh-language version"),
    ),
    "member": ("/projects/", ("table", "project-table"), ("HLF-WEB", "MDC-BRAND", "NMT-APP")),
    # An administrator (a superuser, though heading the agency's departments) lands on the project list:
    # the whole portfolio, GMPP projects included, 50 a page.
    "demo": ("/projects/", ("table", "project-table"), ()),
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """setup_demo once for the module, with the small demo GMPP set and O*NET files (as
    tests/projects/test_demo_world.py) and the test settings of tests/conftest.py; rolled back at the end.
    Each test's own transaction nests inside this one."""
    root = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(
            APM_REAL_DATA_DIR=root / "no-real-data-here",
            MEDIA_ROOT=root / "media",
            PRIVATE_MEDIA_ROOT=root / "private",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        call_command("setup_demo", stdout=io.StringIO())
        yield root
        transaction.set_rollback(True)


def _signed_in(username: str) -> Client:
    browser = Client()
    # Through the login form: client.login() cannot, django-axes wants the request.
    response = browser.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} / {DEMO_PASSWORD} does not log in"
    return browser


def _text(response) -> str:
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize("username", list(LANDINGS))
def test_each_demo_login_lands_on_a_page_with_working_actions(demo, username, settings):
    # The demo's files (a document to review, linked from the client's landing page) are where it stored them.
    settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = demo / "media", demo / "private"
    landing, (tag, css_class), expected = LANDINGS[username]
    browser = _signed_in(username)

    response = browser.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain, "/ does not redirect to a landing page"
    assert response.redirect_chain[-1][0] == landing
    links, _ = _links(response.content.decode(), tag, css_class)
    assert links, f"{username}'s landing page {landing} lists no action in its {tag}.{css_class}"
    texts = [text for _, text in links]
    for wanted in expected:
        assert any(wanted.lower() in text.lower() for text in texts), f"{wanted!r} not among {texts}"

    followed: set[str] = set()
    for href, text in links:
        if href in followed or href.startswith(("http://", "https://")):  # outside links (a staging site)
            continue
        followed.add(href)
        path, anchor = urldefrag(href)
        page = browser.get(path)
        assert page.status_code == 200, f"{text!r} ({href}) on {landing}: {page.status_code}"
        if anchor:
            _, ids = _links(page.content.decode(), tag, css_class)
            assert anchor in ids, f"{text!r} ({href}) on {landing}: no #{anchor} there"


def test_the_demo_logins_find_the_money_loop(demo):
    """The member reads the PM's rejection on their timesheet; the PM finds the member's week to approve; the
    administrator totals a department with a EUR project in GBP at the sample's rates of 4 Dec 2026 and sees
    MDC-BRAND below its client's target on the client's account."""
    rejected = TimeEntry.objects.filter(approval="rejected").order_by("date").first()
    timesheet = _text(_signed_in("member").get(reverse("projects:timesheet"), {"week": f"{rejected.date:%G-W%V}"}))
    assert money.REJECTION in timesheet

    approvals = _text(_signed_in("pm").get(reverse("projects:time_approvals")))
    assert "Tom Morgan" in approvals

    admin = _signed_in("demo")
    table = _text(
        admin.get(reverse("projects:department_budget", args=["AGY-STU"]), {"currency": "GBP", "on": "2026-12-04"})
    )
    assert "LAF-FEST" in table
    assert "Total in GBP" in table
    assert "EUR at 0.8612 of Fri 4 Dec 2026" in table
    meadowfold = Account.objects.get(name="Meadowfold Dairy Co-operative")
    account = _text(admin.get(reverse("projects:client_account", args=[meadowfold.pk])))
    assert "MDC-BRAND" in account
    assert "below target" in account
