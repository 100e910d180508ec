"""The client portal in a real browser: log in, see only your projects, sign off, download, phone width.

Runs against pytest-django's live server (a thread serving the test
database and static files). The main pages' Content-Security-Policy check
is tests/browser/test_csp.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from projects.models import BillingModel, Invoice, InvoiceLine, ProjectBilling
from tests import factories
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_world(world, pm):
    project = world["alpha_project"]
    project.name = "Alpha Project with a rather long name that has to wrap on a phone screen"
    project.save(update_fields=["name"])
    for as_of, rag in ((dt.date(2025, 1, 31), "green"), (dt.date(2025, 2, 28), "amber"), (dt.date(2025, 3, 31), "red")):
        factories.StatusUpdateFactory(
            project=project,
            as_of=as_of,
            rag=rag,
            percent_complete=Decimal("55"),
            work_done="Built the onboarding flow; reviewed accessibility with the client's team",
            decisions_needed="Choose the launch date",
        )
    for n in range(6):
        factories.MilestoneFactory(
            project=project, name=f"Milestone number {n} with a long name", due_date=dt.date(2025, 2 + n, 1)
        )
    deliverable = factories.DeliverableFactory(
        project=project, name="Onboarding flow designs", status="awaiting_sign_off"
    )
    report = factories.ReportFactory(
        project=project, audience="client", title="Highlight report March 2025", page_count=2, snapshot={}
    )
    report.pdf.save("march.pdf", ContentFile(b"%PDF-1.4\n%browser\n"), save=True)
    return {"project": project, "deliverable": deliverable, "report": report}


def test_it_lets_a_client_follow_sign_off_and_download(browser, live_server, portal_world, client_user, console_errors):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    watch(page, console_errors)
    log_in(page, live_server, "client")
    assert page.url == f"{live_server.url}/portal/"
    cards = page.locator(".portal-card").all_inner_texts()
    assert len(cards) == 1
    assert "ALPHA-1" in cards[0]
    assert "BETA-1" not in page.content()

    page.click(".portal-card >> text=ALPHA-1")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("Alpha Project")
    assert page.locator(f"#deliverable-{portal_world['deliverable'].pk}").is_visible()

    with page.expect_download() as download_info:
        page.click("text=PDF")
    download = download_info.value
    assert download.suggested_filename == "ALPHA-1-2025-03-31.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read().startswith(b"%PDF")

    page.locator(f"#deliverable-{portal_world['deliverable'].pk} button[value=accept]").click()
    page.wait_for_load_state("networkidle")
    assert "This is final" in page.locator(".portal-confirm").inner_text()
    page.click("button[name=confirm]")
    page.wait_for_load_state("networkidle")
    assert "your decision on" in page.locator(".alert-success").inner_text()
    assert page.locator(f"#deliverable-{portal_world['deliverable'].pk}").count() == 0
    portal_world["deliverable"].refresh_from_db()
    assert portal_world["deliverable"].status == "accepted"
    assert console_errors == []
    context.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_it_fits_the_status_page_without_horizontal_scrolling(
    browser, live_server, portal_world, client_user, width, console_errors, tmp_path
):
    context = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=width < 500, has_touch=width < 500
    )
    page = context.new_page()
    watch(page, console_errors)
    log_in(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/ALPHA-1/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / f"status-{width}.png"), full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    assert scroll_width <= inner_width, f"{scroll_width}px of content in a {inner_width}px window"
    assert console_errors == []
    context.close()


@pytest.fixture
def invoiced(world):
    """An invoice issued to Acme (the client user's) with a long line, and a retainer project of Acme's this month."""
    project = world["alpha_project"]
    invoice = Invoice.objects.create(
        client=world["acme"],
        currency="GBP",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        rates_on=dt.date(2025, 3, 31),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        kind="time",
        project=project,
        description=f"{project.code} {project.name}: Senior developer, 3 Mar 2025 to 28 Mar 2025, user research",
        quantity=Decimal("117.25"),
        unit="hours",
        unit_price=Decimal("1295.00"),
        net=Decimal("151838.75"),
        tax_rate=Decimal("20"),
        tax=Decimal("30367.75"),
        currency="GBP",
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        state="issued",
        number="INV-2025-0001",
        year=2025,
        sequence=1,
        issue_date=dt.date(2025, 4, 1),
        due_date=dt.date(2025, 5, 1),
        net_total=Decimal("151838.75"),
        tax_total=Decimal("30367.75"),
        gross_total=Decimal("182206.50"),
    )
    retainer = factories.ProjectFactory(
        code="ALPHA-RETAINER", name="Alpha support retainer", client=world["acme"], start_date=dt.date(2025, 1, 1)
    )
    ProjectBilling.objects.create(
        project=retainer, model=BillingModel.RETAINER, retainer_fee=Decimal("12500.00"), retainer_hours=Decimal("40")
    )
    return invoice


@pytest.mark.parametrize("width", [390, 1400])
def test_it_fits_the_invoice_pages_without_horizontal_scrolling(
    browser, live_server, invoiced, client_user, width, console_errors, tmp_path
):
    context = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=width < 500, has_touch=width < 500
    )
    page = context.new_page()
    watch(page, console_errors)
    log_in(page, live_server, "client")
    for path, shot in (("/portal/invoices/", "invoices"), (f"/portal/invoices/{invoiced.pk}/", "invoice")):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path / f"{shot}-{width}.png"), full_page=True)
        assert "INV-2025-0001" in page.content()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        inner_width = page.evaluate("window.innerWidth")
        assert scroll_width <= inner_width, f"{path}: {scroll_width}px of content in a {inner_width}px window"
    assert "ALPHA-RETAINER" in page.goto(f"{live_server.url}/portal/invoices/").text()
    assert console_errors == []
    context.close()
