"""The schedule form in a real browser: its script hides the fields the choices leave unused, and the project
list fills from the search as one types (no console errors: the script obeys the Content-Security-Policy)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.models import ReportSchedule
from tests import factories
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_it_hides_the_weekdays_of_a_monthly_schedule_and_picks_a_searched_project(
    browser, live_server, world, pm, console_errors
):
    from playwright.sync_api import expect

    factories.ProjectFactory(
        code="ZETA-7", name="Zeta Launch", client=world["acme"], project_manager=pm, departments=[world["alpha"]]
    )
    page = browser.new_context().new_page()
    watch(page, console_errors)
    log_in(page, live_server, pm.username)
    page.goto(live_server.url + reverse("reports:schedule_create"))

    weekdays, day_of_month = page.locator('[data-field="weekdays"]'), page.locator('[data-field="day_of_month"]')
    expect(weekdays).to_be_visible()
    expect(day_of_month).to_be_hidden()
    page.select_option("select[name=frequency]", "monthly")
    expect(weekdays).to_be_hidden()
    expect(day_of_month).to_be_visible()

    page.select_option("select[name=scope]", "department")
    expect(page.locator('[data-field="project"]')).to_be_hidden()
    expect(page.locator('[data-field="department"]')).to_be_visible()
    page.select_option("select[name=scope]", "project")
    expect(page.locator('[data-field="project"]')).to_be_visible()
    expect(page.locator('[data-field="department"]')).to_be_hidden()
    expect(page.locator('[data-field="project_manager"]')).to_be_hidden()

    search = page.locator("input[name=project]")
    search.press_sequentially("zeta")
    options = page.locator("#schedule-projects option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", "ZETA-7")
    search.fill("ZETA-7")  # what picking the option does

    page.fill("input[name=name]", "Zeta monthly")
    page.select_option("select[name=kind]", "highlight")
    page.select_option("select[name=audience]", "internal")
    page.select_option("select[name=day_of_month]", "15")
    page.fill("input[name=local_time]", "09:00")
    page.select_option("select[name=time_zone]", "Europe/Paris")
    page.get_by_role("button", name="Save schedule").click()
    page.wait_for_url("**" + reverse("reports:schedules"))

    expect(page.locator("main")).to_contain_text("Monthly, day 15, 09:00 Europe/Paris")
    schedule = ReportSchedule.objects.get(name="Zeta monthly")
    assert (schedule.project.code, schedule.frequency, schedule.day_of_month) == ("ZETA-7", "monthly", 15)
    assert schedule.time_zone == "Europe/Paris"
    assert console_errors == []
