"""The task board in a real browser: a card dragged with the mouse (SortableJS follows pointer moves) from To do
to In progress lands where it was dropped and is still there after a reload; a drag the workflow forbids shows
the refusal and the card goes back; the "Move to" menu works from the keyboard; a phone's width stacks the
columns."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Task
from projects.planning import services
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cards(world, pm):
    """ALPHA-1's tasks: "Book the studio", "Cut the trailer" to do; "Write the script", "Grade the film" in
    progress, in that order."""
    project = world["alpha_project"]
    made = {
        title: services.task_create(project=project, user=pm, title=title)
        for title in ("Book the studio", "Cut the trailer", "Write the script", "Grade the film")
    }
    for title in ("Write the script", "Grade the film"):
        services.task_move(task=made[title], user=pm, to="in_progress")
    return made


@pytest.fixture
def contexts(browser):
    """Browser contexts made by the test, closed after it (an open page would keep asking the live server)."""
    made = []

    def new(**options):
        made.append(browser.new_context(**options))
        return made[-1]

    yield new
    for context in made:
        context.close()


def _titles(page, status: str) -> list[str]:
    return page.locator(f'ol[data-status="{status}"] .board-card-title').all_inner_texts()


def _drag(page, source, target, *, above: bool) -> None:
    """Press on ``source`` (its top right corner, away from the title's link), move in steps onto the upper
    (``above``) or lower part of ``target``, release."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] - 8, start["y"] + 6)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] - 20, start["y"] + 20, steps=5)
    y = end["y"] + (8 if above else end["height"] - 8)
    page.mouse.move(end["x"] + end["width"] / 2, y, steps=25)
    page.mouse.move(end["x"] + end["width"] / 2, y + (-2 if above else 2), steps=5)
    page.mouse.up()


def test_it_keeps_a_dragged_card_where_it_was_dropped(contexts, live_server, world, pm, cards, console_errors):
    from playwright.sync_api import expect

    project = world["alpha_project"]
    page = contexts(viewport={"width": 1400, "height": 900}).new_page()
    watch(page, console_errors)
    log_in(page, live_server, "pm")
    url = live_server.url + reverse("projects:tasks_board", args=[project.code])
    page.goto(url)
    assert _titles(page, "in_progress") == ["Write the script", "Grade the film"]
    card = page.locator(".board-card", has_text="Cut the trailer")
    below = page.locator(".board-card", has_text="Grade the film")
    with page.expect_response(lambda r: "/place/" in r.url):
        _drag(page, card, below, above=True)
    expect(page.locator("#board-message")).to_contain_text("Cut the trailer is now in progress, place 2")
    assert _titles(page, "in_progress") == ["Write the script", "Cut the trailer", "Grade the film"]
    page.reload()
    assert _titles(page, "to_do") == ["Book the studio"]
    assert _titles(page, "in_progress") == ["Write the script", "Cut the trailer", "Grade the film"]
    stored = Task.objects.filter(project=project, status="in_progress").order_by("position", "pk")
    assert [t.title for t in stored] == ["Write the script", "Cut the trailer", "Grade the film"]
    assert console_errors == []


def test_it_puts_a_forbidden_drag_back_with_the_message(contexts, live_server, world, pm, cards, console_errors):
    from playwright.sync_api import expect

    project = world["alpha_project"]
    page = contexts(viewport={"width": 1400, "height": 900}).new_page()
    watch(page, console_errors)
    log_in(page, live_server, "pm")
    page.goto(live_server.url + reverse("projects:tasks_board", args=[project.code]))
    card = page.locator(".board-card", has_text="Book the studio")
    done = page.locator('ol[data-status="done"]')
    with page.expect_response(lambda r: "/place/" in r.url):
        _drag(page, card, done, above=True)
    expect(page.locator("#board-message")).to_contain_text("cannot go from to do to done")
    assert _titles(page, "done") == []
    assert _titles(page, "to_do") == ["Book the studio", "Cut the trailer"]
    assert Task.objects.get(title="Book the studio").status == "to_do"
    assert console_errors == []


def test_it_moves_a_card_with_the_keyboard_on_a_phone(contexts, live_server, world, member, cards, console_errors):
    from playwright.sync_api import expect

    project = world["alpha_project"]
    page = contexts(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    watch(page, console_errors)
    log_in(page, live_server, "member")
    page.goto(live_server.url + reverse("projects:tasks_board", args=[project.code]))
    # Stacked: no sideways scrolling at a phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    task = cards["Cut the trailer"]
    page.locator(".board-card", has_text="Cut the trailer").locator("summary").focus()
    page.keyboard.press("Enter")  # opens the menu
    page.keyboard.press("Tab")  # to "Move to"
    assert page.evaluate("document.activeElement.id") == f"move-{task.pk}"
    page.keyboard.press("ArrowDown")  # the first move the workflow allows: blocked
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#board-message")).to_contain_text("Cut the trailer is now blocked")
    assert _titles(page, "blocked") == ["Cut the trailer"]
    assert Task.objects.get(pk=task.pk).status == "blocked"
    assert console_errors == []
