"""The plan import in a real browser: the PM opens Import a plan from the task list, uploads the supplier's MS
Project plan, reads the preview (axe-core finds no violation on it when the checkers are installed, as in
tests/browser/test_accessibility.py), imports it, and lands on the task list with the tasks; no console error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from projects.models import Deliverable, Task
from tests.browser.conftest import log_in, watch
from tests.browser.test_accessibility import AXE, AXE_RUN

pytestmark = [pytest.mark.django_db(transaction=True)]

PLAN = Path(__file__).resolve().parents[1] / "data" / "plans" / "supplier_plan.xml"


def test_it_uploads_previews_and_imports_a_plan(browser, live_server, world, pm, console_errors):
    from playwright.sync_api import expect

    project = world["alpha_project"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if AXE.exists():
        context.add_init_script(script=AXE.read_text(encoding="utf-8"))
    elif os.environ.get("CI") == "true":
        pytest.fail(f"{AXE} is missing: run make install")
    page = context.new_page()
    watch(page, console_errors)
    log_in(page, live_server, pm.username)
    page.goto(live_server.url + reverse("projects:tasks", args=[project.code]))
    page.get_by_role("link", name="Import a plan").click()
    page.get_by_label("Plan file").set_input_files(str(PLAN))
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", name="What “supplier_plan.xml” would add")).to_be_visible()
    expect(page.locator(".plan-preview")).to_contain_text("start-to-start with a lag of 2 days")
    expect(page.locator(".plan-preview")).to_contain_text("not on the team: Priya Supplier")
    if AXE.exists():
        found = page.evaluate(AXE_RUN)
        assert found["passes"] > 0
        assert found["violations"] == []
    assert Task.objects.count() == 0

    page.get_by_role("button", name="Import 7 tasks and 2 deliverables").click()
    expect(page.get_by_text("Imported 7 tasks with 7 links and 2 deliverables.")).to_be_visible()
    expect(page.get_by_role("link", name="Backend services")).to_be_visible()
    assert Task.objects.count() == 7
    assert Deliverable.objects.count() == 2
    assert console_errors == []
