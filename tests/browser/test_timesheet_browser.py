"""My timesheet in a real browser: typed into with the keyboard alone (Tab moves along a row), saved in one go."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.budget.selectors import today
from projects.models import TimeEntry
from teams.capacity import week_start
from teams.services import member_rate_set
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_it_takes_a_week_typed_along_a_row_and_saves_it(browser, live_server, world, member, console_errors):
    from playwright.sync_api import expect

    mo = world["alpha_project"].team_members.get()
    member_rate_set(member=mo, cost_rate=Decimal("55.00"), bill_rate=Decimal("95.00"), valid_from=dt.date(2024, 1, 1))
    monday = week_start(today())
    page = browser.new_context().new_page()
    watch(page, console_errors)
    log_in(page, live_server, "member")
    page.goto(live_server.url + reverse("projects:timesheet"))
    first = page.get_by_label(f"Alpha Project, Mon {monday.day} {monday:%b}", exact=True)
    first.focus()
    for hours in ("7.5", "8", "", "6"):
        if hours:
            page.keyboard.type(hours)
        page.keyboard.press("Tab")
    # Four Tabs along the row: the focus is on Friday's cell of the same project.
    friday = monday + dt.timedelta(days=4)
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == f"Alpha Project, Fri {friday.day} {friday:%b}"
    expect(page.locator(".ts-row-total")).to_have_text("21.50")  # the totals follow what is typed
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-success"))).to_contain_text("3 added")
    saved = sorted((e.date, e.hours) for e in TimeEntry.objects.all())
    assert saved == [
        (monday, Decimal("7.50")),
        (monday + dt.timedelta(days=1), Decimal("8.00")),
        (monday + dt.timedelta(days=3), Decimal("6.00")),
    ]
    expect(page.get_by_label(f"Alpha Project, Mon {monday.day} {monday:%b}", exact=True)).to_have_value("7.50")
    assert console_errors == []
