"""No Content-Security-Policy violation on the main pages, in chromium, as the administrator and as a client.

The policy (``CONTENT_SECURITY_POLICY`` in apm/settings.py) allows styles only
from our static files: no ``'unsafe-inline'``, so a ``style`` attribute, a
``<style>`` element or htmx's injected indicator style would be refused, and
chromium says so on the console. One browser session loads the main pages
of ``main_pages_world`` (tests/browser/conftest.py: the sweep's world with a
risk, a critical issue and a RAG history) and collects console errors,
uncaught errors and ``securitypolicyviolation`` events per page. It also checks that the moved
styles apply (a heat-map colour, the update form's rating grid) and that
htmx still works from its ``data-hx-*`` attributes. Screenshots of the pages
whose styles moved go to the test's temporary folder.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]

#: The main internal pages (path, screenshot name or "").
INTERNAL_PAGES = (
    ("/projects/", ""),
    ("/projects/ALPHA-1/", "project"),
    ("/projects/ALPHA-1/edit/", ""),
    ("/projects/ALPHA-1/update/", "update-form"),
    ("/projects/ALPHA-1/team/", "team"),
    ("/projects/ALPHA-1/team/roles/new/", ""),
    ("/projects/ALPHA-1/budget/", "budget"),
    ("/projects/ALPHA-1/deliverables/", "deliverables"),
    ("/projects/ALPHA-1/quality/", ""),
    ("/projects/ALPHA-1/changes/", ""),
    ("/projects/ALPHA-1/raid/", "raid"),
    ("/projects/ALPHA-1/documents/", ""),
    ("/projects/ALPHA-1/clauses/", ""),
    ("/projects/ALPHA-1/compliance/", ""),
    ("/projects/ALPHA-1/correspondence/", ""),
    ("/projects/ALPHA-1/correspondence/letter/", ""),
    ("/projects/desk/", ""),
    ("/projects/departments/ALPHA/budget/", ""),
    ("/staffing/capacity/", "capacity"),
    ("/teams/", "skills"),
    ("/reports/", ""),
    ("/reports/project/ALPHA-1/", ""),
    ("/reports/schedules/new/", "schedule-form"),
    ("/reports/archive/", ""),
    ("/reports/outbox/", "outbox"),
    ("/portal/", ""),
    ("/portal/ALPHA-1/", ""),
    ("/portal/ALPHA-1/access/", ""),
)
CLIENT_PAGES = (
    ("/portal/", "portal-home"),
    ("/portal/ALPHA-1/", "portal-status"),
    ("/portal/invoices/", "portal-invoices"),
)

#: Records the page's CSP violations before any of its scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI || "inline"}`);
});
"""


def visit(page, live_server, pages, errors: list[str], problems: list[str], shots) -> None:
    """Load each page; add "path: problem" to ``problems`` for a non-200, a console error or a CSP violation."""
    for path, shot in pages:
        errors.clear()
        response = page.goto(f"{live_server.url}{path}")  # "load": after the stylesheets and scripts
        if response.status != 200:
            problems.append(f"{path}: answered {response.status}")
        style_src = next(
            (d for d in response.headers.get("content-security-policy", "").split(";") if "style-src" in d), ""
        )
        if "unsafe-inline" in style_src or "'self'" not in style_src:
            problems.append(f"{path}: style-src is {style_src.strip()!r}")
        problems.extend(f"{path}: {line}" for line in [*errors, *page.evaluate("window.__violations")])
        if shot:
            page.screenshot(path=str(shots / f"{shot}.png"), full_page=True)


def test_it_raises_no_csp_violation_on_the_main_pages(browser, live_server, main_pages_world, tmp_path):
    problems: list[str] = []
    errors: list[str] = []
    for username, pages in (("admin", INTERNAL_PAGES), ("client", CLIENT_PAGES)):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        watch(page, errors)
        log_in(page, live_server, username)
        visit(page, live_server, pages, errors, problems, tmp_path)
        if username == "admin":
            problems.extend(check_moved_styles_and_htmx(page, live_server, errors))
        context.close()
    assert problems == [], "\n".join(problems)


def check_moved_styles_and_htmx(page, live_server, errors: list[str]) -> list[str]:
    """The styles that moved to static CSS apply, and htmx runs from ``data-hx-*`` without its own style."""
    found = []
    page.goto(f"{live_server.url}/projects/ALPHA-1/raid/")
    # Probability 4, impact 5: score 20, the darkest cell of the heat map.
    cell = page.locator('.heat-map td[title="Probability 4, impact 5"]')
    if cell.evaluate("td => getComputedStyle(td).backgroundColor") != "rgb(240, 164, 154)":
        found.append("raid: the heat map's score-20 cell is not #f0a49a")
    page.goto(f"{live_server.url}/projects/ALPHA-1/update/")
    if page.locator(".rating-grid").evaluate("grid => getComputedStyle(grid).display") != "grid":
        found.append("update form: the rating grid is not a CSS grid")
    page.goto(f"{live_server.url}/projects/ALPHA-1/team/")
    if not page.evaluate("typeof bootstrap !== 'undefined' && typeof htmx !== 'undefined'"):
        found.append("team: Bootstrap's or htmx's script did not run")
    elif page.evaluate("htmx.config.includeIndicatorStyles") is not False:
        found.append("team: htmx injects its indicator style")
    errors.clear()
    page.get_by_role("link", name="Suggest people").first.click()
    try:
        page.locator("[id^=suggest-] table").first.wait_for(timeout=10_000)  # the fragment, through data-hx-get
    except PlaywrightTimeoutError:
        found.append(f"team: no suggestions appeared in the role's card after Suggest people (at {page.url})")
    found.extend(f"team, after Suggest people: {line}" for line in [*errors, *page.evaluate("window.__violations")])
    return found
