"""The plan in a real browser: a task's bar dragged with the mouse moves the task and pushes its successor
through the service (history rows written), the page then says what moved and offers Undo; no console error
(the chart obeys the Content-Security-Policy)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from projects.models import Task
from projects.planning import services
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_it_moves_a_dragged_task_and_pushes_its_successor(browser, live_server, world, pm, console_errors):
    from playwright.sync_api import expect

    project = world["alpha_project"]
    script = services.task_create(
        project=project, user=pm, title="Write the script", start_date=dt.date(2026, 6, 1), due_date=dt.date(2026, 6, 3)
    )
    shoot = services.task_create(
        project=project,
        user=pm,
        title="Shoot",
        start_date=dt.date(2026, 6, 4),
        due_date=dt.date(2026, 6, 5),
        depends_on=[script],
    )
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch(page, console_errors)
    log_in(page, live_server, pm.username)
    page.goto(live_server.url + reverse("projects:plan", args=[project.code]))

    bar = page.locator(f'.bar-wrapper[data-id="t{script.pk}"] .bar')
    expect(bar).to_be_visible()
    expect(page.locator(f'.bar-wrapper[data-id="t{shoot.pk}"]')).to_have_class("bar-wrapper plan-critical")
    column = page.evaluate("document.getElementById('plan-chart').gantt.config.column_width")
    box = bar.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # real moves, two days to the right
        page.mouse.move(x + step * 2 * column / 10, y)
    page.mouse.up()

    expect(page.locator("#plan-moved")).to_contain_text("Moved:")
    script.refresh_from_db()
    shoot.refresh_from_db()
    assert (script.start_date, script.due_date) == (dt.date(2026, 6, 3), dt.date(2026, 6, 5))
    assert (shoot.start_date, shoot.due_date) == (dt.date(2026, 6, 6), dt.date(2026, 6, 7))
    assert shoot.history.first().history_change_reason == f"pushed by {script.reference} moving 2 days"
    assert script.history.count() == 2
    expect(page.locator("#plan-moved")).to_contain_text("Shoot")

    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#plan-moved")).to_contain_text("Undone")
    assert Task.objects.get(pk=shoot.pk).start_date == dt.date(2026, 6, 4)
    assert console_errors == []


def test_it_puts_back_a_bar_the_user_may_not_move_and_says_why(browser, live_server, world, member, console_errors):
    from playwright.sync_api import expect

    from projects.delivery import services as delivery_services

    project = world["alpha_project"]
    launch = delivery_services.deliverable_create(
        project=project,
        user=project.project_manager,
        name="Launch video",
        start_date=dt.date(2026, 6, 1),
        due_date=dt.date(2026, 6, 12),
    )
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch(page, console_errors)
    log_in(page, live_server, member.username)
    page.goto(live_server.url + reverse("projects:plan", args=[project.code]))

    bar = page.locator(f'.bar-wrapper[data-id="d{launch.pk}"] .bar')
    before = bar.bounding_box()
    column = page.evaluate("document.getElementById('plan-chart').gantt.config.column_width")
    x, y = before["x"] + before["width"] / 2, before["y"] + before["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + step * 3 * column / 10, y)
    page.mouse.up()

    expect(page.locator("#plan-message")).to_contain_text("moves a deliverable")
    expect(page.locator("#plan-message")).to_be_visible()
    after = page.locator(f'.bar-wrapper[data-id="d{launch.pk}"] .bar').bounding_box()
    assert after["x"] == before["x"]
    launch.refresh_from_db()
    assert launch.due_date == dt.date(2026, 6, 12)
    assert console_errors == []
