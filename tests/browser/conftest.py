"""Playwright driving Debian's chromium (/usr/bin/chromium), headless, started by the tests.

Never downloads a browser. Without /usr/bin/chromium (or the playwright
package) the browser tests skip with the reason; under CI=true they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.access_world import World, build_world, furnish_pages, populate

CHROMIUM = Path(os.environ.get("APM_CHROMIUM", "/usr/bin/chromium"))
PASSWORD = "correct horse battery staple"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; the test's own ORM calls
    # (fixtures, refresh_from_db) are still plain synchronous code, so Django may allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, with static files served by the app's WhiteNoise, as gunicorn serves them.

    pytest-django puts Django's ``StaticFilesHandler`` in front of the app: it
    serves the source folders by plain names and answers 404 for the hashed
    names that the manifest storage gives pages. Here nothing is in front.
    """
    from unittest import mock

    from pytest_django.live_server_helper import LiveServer

    address = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    with mock.patch("django.contrib.staticfiles.handlers.StaticFilesHandler", lambda application: application):
        server = LiveServer(address)
    yield server
    server.stop()


@pytest.fixture
def console_errors():
    """A list that :func:`watch` fills with console errors and CSP violations of a page."""
    return []


def watch(page, errors: list[str]) -> None:
    """Collect console errors (CSP violations show there) and uncaught page errors into ``errors``."""
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


@pytest.fixture
def main_pages_world(db) -> World:
    """The sweep's world (``tests/access_world.py``), furnished for the pages, every user with :data:`PASSWORD`."""
    world = furnish_pages(populate(build_world()))
    for user in world.users.values():
        if user.is_authenticated:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
    return world


def log_in(page, live_server, username: str) -> None:
    """Sign ``username`` in through the login form (every test user's password is :data:`PASSWORD`)."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
