"""The README's "The first ten minutes", walked literally in a real browser for ``pm`` and ``client``.

``manage.py setup_demo`` seeds the live server's database (the small demo GMPP set and O*NET files,
as tests/projects/test_demo_world.py); each login signs in through the login form with the password
setup_demo prints, and each numbered step of the README opens the page it names the way a reader
would: the navigation bar for "My desk" and "Portal", the project's tabs for "RAID of HLF-WEB" and
the like (checking that they lead to the path the README gives), and checks what the step says is
there. The client then signs "Design concepts" off (Accept, then Confirm). No console errors or CSP
violations on the way.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from projects.models import Deliverable, Project, ProjectTemplate
from reports.management.commands.setup_demo import DEMO_PASSWORD
from tests.browser.conftest import watch

pytestmark = [pytest.mark.django_db(transaction=True)]

SUPPLIER_PLAN = Path(__file__).resolve().parents[1] / "data" / "plans" / "supplier_plan.xml"


@pytest.fixture
def demo(settings, tmp_path):
    settings.APM_REAL_DATA_DIR = tmp_path / "no-real-data-here"
    call_command("setup_demo", stdout=io.StringIO())


def _log_in(page, live_server, username: str) -> None:
    """README: "Log in at http://127.0.0.1:8000/login/ with each demo login in turn"."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _click(page, locator) -> None:
    locator.click()
    page.wait_for_load_state("networkidle")


def _at(page, live_server, path: str) -> None:
    assert page.url == f"{live_server.url}{path}", f"at {page.url}, the README says {path}"


def _tab(page, live_server, project: str, label: str, path: str) -> str:
    """Open ``project`` from the project list, then its tab ``label``; it must be the README's ``path``.
    Returns the page's main text."""
    _click(page, page.locator("nav.navbar").get_by_role("link", name="Projects", exact=True))
    _click(page, page.locator("table.project-table").get_by_role("link", name=project, exact=True))
    _click(page, page.locator("nav.project-tabs").get_by_role("link", name=label, exact=True))
    _at(page, live_server, path)
    return page.locator("main").inner_text()


def _section(page, heading: str) -> str:
    """The text of the desk's card titled ``heading``."""
    return page.locator(".card-body", has=page.get_by_role("heading", name=heading, exact=True)).inner_text()


def test_pm_first_ten_minutes(browser, live_server, demo, console_errors, settings):
    settings.APM_INVOICES_BY_PM = True  # as make run sets it
    context = browser.new_context()
    page = context.new_page()
    watch(page, console_errors)
    _log_in(page, live_server, "pm")

    # 1. My desk (/projects/desk/): deliverables awaiting client sign-off, change requests submitted, permits
    # expiring within 30 days, the broken tolerance of MDC-BRAND, people over capacity.
    _click(page, page.locator("nav.navbar").get_by_role("link", name="My desk", exact=True))
    _at(page, live_server, "/projects/desk/")
    waiting = _section(page, "Waiting for a decision")
    assert "Client sign-off: Design concepts" in waiting
    assert "CR-2: Extra round of user testing" in waiting
    expiring = _section(page, "Documents expiring")
    assert "Filming and hoarding permit" in expiring
    assert "Permit" in expiring
    tolerances = _section(page, "Tolerances and capacity")
    assert re.search(r"Cost tolerance broken\s*MDC-BRAND", tolerances), tolerances
    assert "Tom Morgan over capacity" in tolerances

    # 2. RAID of HLF-WEB: the critical issue "Staging server down", not yet acknowledged.
    raid = _tab(page, live_server, "HLF-WEB", "RAID", "/projects/HLF-WEB/raid/")
    # Its number depends on what other tests left in the sequence: match any.
    assert re.search(r"Critical issue I-\d+: Staging server down: client review blocked", raid), raid
    assert "Acknowledge by" in raid  # not yet acknowledged
    issue = page.locator("tr", has_text="Staging server down")
    assert re.search(r"Critical\s+Open", issue.inner_text()), issue.inner_text()

    # 3. Quality of HLF-WEB: the agency standard and the open non-conformance NC-1 on "Content plan".
    quality = _tab(page, live_server, "HLF-WEB", "Quality", "/projects/HLF-WEB/quality/")
    assert "Agency delivery standard" in quality
    # NC-1 in a fresh demo; its number follows the database's sequence, so match any.
    non_conformance = page.locator("tr", has_text=re.compile(r"NC-\d+")).filter(has_text="Content plan")
    assert non_conformance.count() == 1, quality

    # 4. Team of HLF-WEB: bookings (one tentative) and the open role "Back-end developer" with its suggestions.
    team = _tab(page, live_server, "HLF-WEB", "Team", "/projects/HLF-WEB/team/")
    bookings = page.locator("tr", has=page.get_by_role("link", name="Change"))
    assert bookings.count() >= 2, team
    statuses = [row.split("\t")[5] for row in bookings.all_inner_texts()]
    assert statuses.count("Tentative") == 1, statuses
    role = page.locator(".card", has_text="Back-end developer").filter(has_text="Needs: Back-end development")
    assert "Open" in role.inner_text()
    with page.expect_response(re.compile(r"/suggestions?/")) as suggested:
        role.get_by_role("link", name="Suggest people").click()
    assert suggested.value.status == 200
    suggestions = page.locator("[id^=suggest-]")
    suggestions.locator("*").first.wait_for()
    assert suggestions.inner_text().strip(), "Suggest people showed nothing"

    # 5. Correspondence of HLF-WEB: the permit letter to the council, awaiting its reply.
    _tab(page, live_server, "HLF-WEB", "Correspondence", "/projects/HLF-WEB/correspondence/")
    letter = page.locator("tr", has_text="Application to extend the permit").inner_text()  # the permit letter
    assert "Portside Borough Council Highways" in letter  # the council
    assert "Awaiting reply" in letter

    # 6. Time to approve (/projects/time/approvals/, also on My desk): Tom Morgan's last week waits; approve it
    # and open the budget of HLF-WEB: revenue and margin to date move. MDC-BRAND's budget shows a fixed price
    # forecast under Meadowfold's margin target (a margin alert); NMT-APP's a retainer's month in hours.
    before = _revenue_to_date(_tab(page, live_server, "HLF-WEB", "Budget", "/projects/HLF-WEB/budget/"))
    _click(page, page.locator("nav.navbar").get_by_role("link", name="My desk", exact=True))
    _click(page, page.get_by_role("link", name=re.compile(r"^Time to approve: Tom Morgan")).first)
    _at(page, live_server, "/projects/time/approvals/")
    week = page.locator("section.card", has=page.get_by_role("heading", name=re.compile(r"Tom Morgan · HLF-WEB")))
    _click(page, week.get_by_role("button", name="Approve ticked"))
    assert re.search(r"\d+ entries approved on HLF-WEB\.", page.locator("main").inner_text())
    budget = _tab(page, live_server, "HLF-WEB", "Budget", "/projects/HLF-WEB/budget/")
    assert _revenue_to_date(budget) > before, (before, budget)
    mdc = _tab(page, live_server, "MDC-BRAND", "Budget", "/projects/MDC-BRAND/budget/")
    assert "Fixed price" in mdc
    assert "Forecast below target" in mdc
    assert "Margin alert open since" in mdc
    nmt = _tab(page, live_server, "NMT-APP", "Budget", "/projects/NMT-APP/budget/")
    assert "Retainer" in nmt
    assert "Rolled in" in nmt

    # 7. Harbourlight's account (the client's name on a budget page links to /projects/clients/<id>/): every project
    # of the client with revenue, cost and margin, month by month.
    _tab(page, live_server, "HLF-WEB", "Budget", "/projects/HLF-WEB/budget/")
    _click(page, page.get_by_role("link", name=re.compile(r"^Harbourlight Ferries")))
    assert re.fullmatch(rf"{re.escape(live_server.url)}/projects/clients/\d+/", page.url), page.url
    account = page.locator("main").inner_text()
    assert "Account Harbourlight Ferries" in account
    assert "HLF-WEB" in account
    assert "Month by month" in account

    # 8. Invoices (/projects/invoices/; make run lets a PM invoice their projects' clients): Harbourlight's
    # INV-…-0001, emailed to its billing contact Owen Pike, is overdue (also on My desk); the draft of the time
    # approved since waits: edit a line, issue it (it takes the next number and is emailed with its PDF), and
    # "Export CSV" for the accounts.
    _click(page, page.locator("nav.navbar").get_by_role("link", name="Invoices", exact=True))
    _at(page, live_server, "/projects/invoices/")
    overdue = page.locator("tr", has_text=re.compile(r"INV-\d{4}-0001"))
    assert "overdue" in overdue.inner_text()
    _click(page, overdue.get_by_role("link"))
    assert "Owen Pike" in page.locator("main").inner_text()
    _click(page, page.locator("nav.navbar").get_by_role("link", name="My desk", exact=True))
    assert re.search(r"INV-\d{4}-0001\s+Harbourlight Ferries", _section(page, "Invoices overdue"))
    _click(page, page.locator("nav.navbar").get_by_role("link", name="Invoices", exact=True))
    _click(page, page.get_by_role("link", name="Draft", exact=True))
    _click(page, page.get_by_role("link", name="Edit line 1"))
    page.get_by_label("Description").fill("Design, as agreed on the kick-off call")
    _click(page, page.get_by_role("button", name="Save the line"))
    assert "Line 1 saved." in page.locator(".alert-success").inner_text()
    _click(page, page.get_by_role("button", name="Issue the invoice"))
    issued = page.locator("main").inner_text()
    assert re.search(r"INV-\d{4}-0002 issued on", issued), issued
    assert "Design, as agreed on the kick-off call" in issued
    assert re.search(r"Owen Pike\s*<owen.pike@harbourlight.example>", issued), issued
    _click(page, page.locator("nav.navbar").get_by_role("link", name="Invoices", exact=True))
    export = page.request.get(f"{live_server.url}{page.get_by_role('link', name='Export CSV').get_attribute('href')}")
    assert export.status == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = export.text().lstrip("\ufeff").splitlines()
    assert rows[0].startswith("number,kind,state,")
    assert {row.split(",")[0] for row in rows[1:]} == {
        re.search(r"INV-\d{4}-0001", export.text()).group(0),
        re.search(r"INV-\d{4}-0002", export.text()).group(0),
    }

    # 9. Project templates (/projects/templates/, or "project template" on New project): "Website rebuild", HLF-WEB's
    # plan in days from its start; Use this template, give a code (say HLF-APP), a name, the client and a start
    # date, and the new project has its deliverables, tasks, RAID starters, standard, budget lines and clauses
    # dated from that start.
    _click(page, page.locator("nav.navbar").get_by_role("link", name="Projects", exact=True))
    _click(page, page.get_by_role("link", name="New project"))
    _click(page, page.get_by_role("link", name="project template"))
    _at(page, live_server, "/projects/templates/")
    _click(page, page.get_by_role("link", name="Website rebuild"))
    _click(page, page.get_by_role("link", name="Use this template"))
    page.get_by_label("Code").fill("HLF-APP")
    page.get_by_label("Name").fill("Harbourlight booking app")
    page.get_by_label("Client").select_option(label="Harbourlight Ferries")
    page.get_by_label("Start date").fill("2027-01-04")
    _click(page, page.get_by_role("button", name="Create the project from the template"))
    _at(page, live_server, "/projects/HLF-APP/")
    made = Project.objects.get(code="HLF-APP")
    assert list(made.deliverables.order_by("pk").values_list("name", flat=True))[:2] == [
        "Discovery report",
        "Moodboards",
    ]
    wireframes = made.tasks.get(title="Wireframe the booking flow")
    kept = next(
        t
        for t in ProjectTemplate.objects.get(name="Website rebuild").content["tasks"]
        if t["title"] == wireframes.title
    )
    day0 = dt.date(2027, 1, 4)
    assert (wireframes.start_date, wireframes.due_date) == (
        day0 + dt.timedelta(days=kept["start"]),
        day0 + dt.timedelta(days=kept["due"]),
    )
    assert [t.title for t in wireframes.depends_on.all()] == ["Agree the page inventory"]

    # 10. Import a plan (the new project's Tasks, then "Import a plan"): upload the supplier's MS Project plan
    # tests/data/plans/supplier_plan.xml; the preview shows two deliverables (its summary tasks) and seven tasks,
    # the start-to-start link with its lag imported as finish-to-start, and its resources not on the team; Import
    # adds them with their dependencies, and the Board (beside List and Plan) has them in To do, ready to drag.
    _click(page, page.locator("nav.project-tabs").get_by_role("link", name="Tasks", exact=True))
    _click(page, page.get_by_role("link", name="Import a plan"))
    page.get_by_label("Plan file").set_input_files(str(SUPPLIER_PLAN))
    _click(page, page.get_by_role("button", name="Preview the import"))
    preview = page.locator(".plan-preview").inner_text()
    assert "start-to-start with a lag of 2 days" in preview
    assert "not on the team" in preview
    before = made.tasks.count()
    _click(page, page.get_by_role("button", name="Import 7 tasks and 2 deliverables"))
    assert "Imported 7 tasks with 7 links and 2 deliverables." in page.locator("main").inner_text()
    assert made.tasks.count() == before + 7
    _click(page, page.get_by_role("link", name="Board", exact=True))
    _at(page, live_server, "/projects/HLF-APP/tasks/board/")
    to_do = page.locator("section", has=page.get_by_role("heading", name=re.compile(r"^To do"))).inner_text()
    assert "Backend services" in to_do or "Backend services" in page.locator("main").inner_text()

    assert console_errors == []
    context.close()


def _revenue_to_date(text: str) -> int:
    """The budget page's "Revenue to date" in whole pounds."""
    found = re.search(r"Revenue to date\s*£([\d,]+)", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def test_client_first_ten_minutes(browser, live_server, demo, console_errors):
    context = browser.new_context()
    page = context.new_page()
    watch(page, console_errors)
    _log_in(page, live_server, "client")

    # 1. Portal (/portal/): HLF-WEB, their only project.
    _at(page, live_server, "/portal/")
    cards = page.locator(".portal-card").all_inner_texts()
    assert len(cards) == 1
    assert "HLF-WEB" in cards[0]

    # 2. HLF-WEB on the portal (/portal/HLF-WEB/): "Design concepts" waits for their sign-off, with the "Design
    # concepts board" to download and a staging link to review first; the change "Add a Welsh-language version"
    # waits for their decision.
    _click(page, page.locator(".portal-card").get_by_role("link", name="HLF-WEB"))
    _at(page, live_server, "/portal/HLF-WEB/")
    sign_offs = page.locator("section", has=page.get_by_role("heading", name="Deliverables awaiting your sign-off"))
    design = sign_offs.locator(".portal-item", has_text="Design concepts")
    assert design.count() == 1
    board = design.get_by_role("link", name="Design concepts board")
    download = page.request.get(f"{live_server.url}{board.get_attribute('href')}")
    assert (download.status, download.body()[:5]) == (200, b"%PDF-")
    assert design.get_by_role("link", name="open the link").get_attribute("href").startswith("https://staging.")
    changes = page.locator("section", has=page.get_by_role("heading", name="Change requests awaiting your decision"))
    assert changes.locator(".portal-item", has_text="Add a Welsh-language version").count() == 1

    # The sign-off the page offers: Accept asks for confirmation first, Confirm decides.
    _click(page, design.get_by_role("button", name="Accept"))
    assert "This is final" in page.locator(".portal-confirm").inner_text()
    assert Deliverable.objects.get(project__code="HLF-WEB", name="Design concepts").status == "awaiting_sign_off"
    _click(page, page.locator("button[name=confirm]"))
    assert "your decision on" in page.locator(".alert-success").inner_text()
    assert sign_offs.locator(".portal-item", has_text="Design concepts").count() == 0
    assert Deliverable.objects.get(project__code="HLF-WEB", name="Design concepts").status == "accepted"

    # 3. Invoices (/portal/invoices/): INV-…-0001, overdue, with its lines and the PDF Owen Pike was emailed (the
    # draft is not shown).
    _click(page, page.locator("header.portal-header").get_by_role("link", name="Invoices", exact=True))
    _at(page, live_server, "/portal/invoices/")
    listed = page.locator("main").inner_text()
    assert re.search(r"INV-\d{4}-0001", listed), listed
    assert "Overdue" in listed
    assert "Draft" not in listed
    _click(page, page.get_by_role("link", name=re.compile(r"^INV-\d{4}-0001$")))
    assert "Lines" in page.locator("main").inner_text()
    pdf_link = page.get_by_role("link", name=re.compile(r"^PDF")).first
    pdf = page.request.get(f"{live_server.url}{pdf_link.get_attribute('href')}")
    assert (pdf.status, pdf.body()[:5]) == (200, b"%PDF-")

    assert console_errors == []
    context.close()
