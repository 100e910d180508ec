"""The Import page in a real browser: upload, map, check, confirm, then see the projects.

Runs against the live server, as the other browser tests do. No broker: the
``published`` fixture records each queued job and the test runs it, as a
worker would, from the test thread (``jobs.job_run``); the page's htmx
polling must then notice by itself that the step ended (no manual reload).

The test database is SQLite in memory, one connection shared by the test
thread and the live server's thread: the "worker" runs only when no request
of the page is at the server, and the page's next requests wait in a
Playwright route until it is done (see :class:`Worker`), so the two threads
never use the connection at once.
Screenshots of each step go to /tmp/import-shots/.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from projects.importers import jobs
from projects.models import Client, ImportJob, Project
from tests import factories
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]

CSV = Path(__file__).parents[1] / "projects" / "importers" / "data" / "agency_it_portfolio.csv"
SHOTS = Path("/tmp/import-shots")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


class Worker:
    """Runs the jobs the page queues, from the test thread, while no request of the page is at the server.

    Every request of the page goes through a route, handled in the test thread (only between Playwright
    calls, so never during :meth:`run`); the route keeps the requests it lets through until they end (a
    redirect ends its first request too: the route sees only the first of a redirect chain).
    """

    def __init__(self, page, published: list) -> None:
        self.page, self.published, self.at_server = page, published, set()
        page.route("**/*", self._let_through)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _let_through(self, route) -> None:
        self.at_server.add(route.request)
        route.continue_()

    def _ended(self, request) -> None:
        while request is not None:
            self.at_server.discard(request)
            request = request.redirected_from

    def run(self, job: ImportJob) -> None:
        """Run the job the last click queued (``job_run``, as the task does)."""
        assert self.published == [(jobs.RUN_IMPORT_JOB, (job.pk,))]
        self.published.clear()
        for _ in range(500):
            if not self.at_server:
                break
            self.page.wait_for_timeout(10)
        assert not self.at_server, [request.url for request in self.at_server]
        assert jobs.job_run(job_id=job.pk) is not None


def _upload_and_map(page, live_server, shot_prefix: str) -> ImportJob:
    page.goto(live_server.url + reverse("imports:index"))
    page.get_by_label("Portfolio file").set_input_files(str(CSV))
    _shot(page, f"{shot_prefix}1-upload")
    page.get_by_role("button", name="Upload and map the columns").click()
    page.wait_for_url(re.compile(r"/import/\d+/map/$"))
    job = ImportJob.objects.get()
    assert page.url.endswith(reverse("imports:map", args=[job.pk]))

    from playwright.sync_api import expect

    expect(page.locator("h1")).to_have_text("2. Map the columns of agency_it_portfolio.csv")
    expect(page.get_by_text("5 rows read as utf-8")).to_be_visible()
    preview = page.locator(".import-preview table")
    expect(preview.locator("tbody")).to_contain_text("Harbour Berth Booking System")
    # APM's guesses from the column names.
    expect(page.get_by_label("Field for column Agency")).to_have_value("department.codes")
    expect(page.get_by_label("Field for column Investment Title")).to_have_value("project.name")
    expect(page.get_by_label("Field for column Planned Cost ($M)")).to_have_value("budget.period")
    expect(page.get_by_label("Field for column Contact Email")).to_have_value("")
    expect(page.get_by_label("Amounts are in")).to_have_value("millions")
    expect(page.get_by_label("Currency")).to_have_value("USD")

    page.get_by_label("Field for column Contact Email").select_option("")  # keep skipping it
    page.get_by_label("Client for every row").fill("Agency Technology Office")
    page.get_by_label("Dates are written").select_option("mm/dd/yyyy")
    page.get_by_label("Rating scale").select_option("cio-1-5")
    _shot(page, f"{shot_prefix}2-map")
    return job


def _check_then_import(page, live_server, published, job: ImportJob, rows: int, shot_prefix: str) -> None:
    from playwright.sync_api import expect

    worker = Worker(page, published)
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_url(live_server.url + reverse("imports:job", args=[job.pk]))
    status = page.get_by_role("status")
    expect(status).to_contain_text("Checking every row (waiting for a worker)")
    expect(page.locator("progress.import-progress-bar")).to_be_visible()
    _shot(page, f"{shot_prefix}3-checking")

    worker.run(job)
    # The polling notices the end of the check and reloads the page (HX-Refresh).
    expect(page.locator("h1")).to_have_text("3. Confirm the import of agency_it_portfolio.csv", timeout=5000)
    expect(page.locator("progress")).to_have_count(0)
    _shot(page, f"{shot_prefix}4-checked")

    page.get_by_role("button", name=f"Import {rows} rows").click()
    page.wait_for_url(live_server.url + reverse("imports:job", args=[job.pk]))
    expect(status).to_contain_text("Importing (waiting for a worker)")
    _shot(page, f"{shot_prefix}5-importing")

    worker.run(job)
    expect(page.locator("h1")).to_have_text("Imported agency_it_portfolio.csv", timeout=5000)
    expect(page.locator(".import-summary")).to_contain_text(f"{rows} of 5 imported")
    _shot(page, f"{shot_prefix}6-imported")


def test_an_administrator_imports_a_portfolio_file(browser, live_server, admin_user, published, console_errors):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch(page, console_errors)
    log_in(page, live_server, "admin")

    job = _upload_and_map(page, live_server, "admin-")
    _check_then_import(page, live_server, published, job, rows=5, shot_prefix="admin-")
    summary = page.locator(".import-summary")
    expect(summary).to_contain_text("4 new, 0 updated, 0 unchanged")
    expect(summary).to_contain_text("5 new, 0 updated, 0 unchanged")  # status updates
    expect(page.locator("table.import-errors")).to_have_count(0)

    page.get_by_role("link", name="See the projects").click()
    page.wait_for_url(live_server.url + reverse("projects:list"))
    expect(page.locator("main")).to_contain_text("Harbour Berth Booking System")
    _shot(page, "admin-7-projects")

    assert Project.objects.count() == 4
    project = Project.objects.get(code="021-000001")
    assert project.currency == "USD"
    assert project.bac == Decimal("49500000.00")
    assert project.client.name == "Agency Technology Office"
    assert console_errors == []
    context.close()


def test_a_head_imports_only_the_rows_of_their_department(browser, live_server, head, published, console_errors):
    from playwright.sync_api import expect

    factories.DepartmentFactory(code="HARB", name="Harbours").heads.add(head)
    factories.DepartmentFactory(code="PARKS", name="Parks")
    Client.objects.create(name="Agency Technology Office")  # a head may not create clients

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch(page, console_errors)
    log_in(page, live_server, "head")

    job = _upload_and_map(page, live_server, "head-")
    _check_then_import(page, live_server, published, job, rows=2, shot_prefix="head-")
    expect(page.locator(".import-summary")).to_contain_text("3 refused")
    refused = page.locator("table.import-errors")
    expect(refused.locator("thead")).to_contain_text("Line")
    expect(refused.locator("thead")).to_contain_text("Why")
    expect(refused.get_by_role("row").filter(has_text="no department 'TRANSIT'")).to_have_count(2)
    expect(refused).to_contain_text("you head none of this project's departments (PARKS)")

    page.get_by_role("link", name="See the projects").click()
    page.wait_for_url(live_server.url + reverse("projects:list"))
    expect(page.locator("main")).to_contain_text("Harbour Berth Booking System")
    expect(page.locator("main")).not_to_contain_text("Trail Permit Portal")
    _shot(page, "head-7-projects")

    assert list(Project.objects.values_list("code", flat=True)) == ["021-000001"]
    assert console_errors == []
    context.close()
