"""axe-core and the Nu HTML checker on every full page the access sweep reaches, as every relationship.

The pages are the access sweep's (``tests/apm/access/test_sweep.py``, in the
world of ``tests/access_world.py``, furnished with ``furnish_pages`` so that
the heat map, the critical-issue banner and the RAG strip show): every
non-admin URL filled with ALPHA-1's objects, opened with GET by the test
client as each relationship (the anonymous visitor too). Those answering 200 with a complete HTML
document (``text/html``, an ``<html>`` element, not an attachment) are
checked; redirects, refusals, downloads, JSON and htmx fragments are not
pages (the client sends no ``HX-Request`` header, so a view that answers
htmx with a fragment answers it with its full page). ``logout`` is left out:
opening it would end the session.

Each page is then opened in chromium against pytest-django's live server,
signed in with the test client's session (``force_login``'s cookie copied
into the browser context), and checked twice:

* axe-core, read from the npm package's ``axe.min.js`` under ``tests/js/``
  (never a CDN), is given to the browser context as an init script
  (``add_init_script``) and run with ``page.evaluate``. Playwright sends both
  through the DevTools protocol, which the page's Content-Security-Policy
  does not govern, so the context keeps the CSP (no ``bypass_csp``).
  ``axe.run`` with its default rules must find no violation, and must report
  passing rules on every page, so that a page where axe did not load or run
  cannot pass. Every file the page loads must load (a missing stylesheet
  would leave axe judging contrast on an unstyled page).
* The HTML the browser received is saved, and after the last role one run of
  the Nu HTML checker (``vnu.jar`` from the npm package ``vnu-jar``, on the
  system's Java) checks every saved page: no error (warnings and info are
  not counted). A canary document with a known error goes with them, to
  prove that the checker read the files.

The npm tools are installed by ``make install`` (``npm ci --prefix
tests/js``). Without them or without Java the test skips with the reason;
under CI=true it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.access_world import build_world, furnish_pages, populate
from tests.apm.access.test_sweep import GET_ONLY, SIGNED_IN, fill, swept_routes, url_for

pytestmark = [pytest.mark.django_db(transaction=True)]

NODE_MODULES = Path(__file__).resolve().parents[1] / "js" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"

#: Every relationship of the README's table, the anonymous visitor included.
ROLES = [*SIGNED_IN, "anonymous"]

#: A document with one known error (an end tag with no element open): the checker must report it.
CANARY = '<!doctype html><html lang="en"><head><title>canary</title></head><body></p></body></html>\n'

#: Runs axe with its default rules; returns the violations (rule, impact, help, first targets) and counts.
AXE_RUN = r"""async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return {
    passes: results.passes.length,
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map(
        (n) => `${n.target.join(" ")} ${n.html.slice(0, 160)} (${n.failureSummary.replace(/\s+/g, " ")})`
      ),
      count: v.nodes.length,
    })),
  };
}"""


def _missing() -> str | None:
    if not AXE.exists() or not VNU.exists():
        return f"the npm test tools are missing under {NODE_MODULES} (make install, or npm ci --prefix tests/js)"
    if shutil.which("java") is None:
        return "java is missing for the Nu HTML checker (Debian: apt-get install -y default-jre-headless)"
    return None


@pytest.fixture(scope="session")
def checkers() -> str:
    """The axe-core script for the browser context; skips (fails under CI=true) without the tools."""
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"The accessibility and HTML checks must run in CI: {reason}")
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Page:
    role: str
    name: str  # the URL's name
    path: str

    @property
    def file_name(self) -> str:
        return f"{self.role}--{self.name.replace(':', '--')}.html"


def is_page(response) -> bool:
    """A complete HTML document: 200, text/html, not an attachment, with an ``<html>`` element."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and "attachment" not in response.get("Content-Disposition", "")
        and not getattr(response, "streaming", False)
        and b"<html" in response.content.lower()
    )


#: Pages whose markup is a vendored tool's, not ours: the API's docs are Swagger UI, drawn by its script after it
#: fetches the schema (its shell, ours, has a language, a main landmark and a heading: tests/apm/api/test_pages.py).
NOT_OURS = {"api-docs"}


def pages_of(client: Client, role: str, world) -> list[Page]:
    """The sweep's URLs on ALPHA-1's objects that answer ``client`` with a full page, GET only."""
    pages = []
    for route in swept_routes():
        if route.name in GET_ONLY or route.name in NOT_OURS:
            continue
        path = url_for(route, fill(route, world.own))
        if is_page(client.get(path)):
            pages.append(Page(role=role, name=route.name, path=path))
    return pages


def client_for(world, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def vnu_errors(files: list[Path], canary: Path) -> tuple[list[dict], list[dict]]:
    """One run of the Nu HTML checker over ``files`` and ``canary``: (errors in ``files``, errors in ``canary``)."""
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--stdout", str(canary), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError) as exc:
        raise AssertionError(f"vnu gave no JSON report (exit {result.returncode}): {result.stderr[-2000:]}") from exc
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    on_canary = [m for m in errors if m.get("url", "").endswith("/" + canary.name)]
    return [m for m in errors if m not in on_canary], on_canary


@pytest.fixture
def world(db):
    """The sweep's world, furnished so that every part of the pages shows (heat map, banner, RAG strip)."""
    return furnish_pages(populate(build_world()))


def test_it_finds_no_axe_violation_and_no_html_error_on_any_page_for_any_role(
    checkers, browser, live_server, world, tmp_path
):
    axe_source = checkers
    saved = tmp_path / "pages"
    saved.mkdir()
    checked: dict[str, list[Page]] = {}
    findings: list[str] = []
    for role in ROLES:
        client = client_for(world, role)
        pages = pages_of(client, role, world)
        checked[role] = pages
        context = browser.new_context()
        if role != "anonymous":
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        context.add_init_script(script=axe_source)
        page = context.new_page()
        # A stylesheet that fails to load would leave axe judging contrast on an unstyled page.
        page.on("response", lambda r: findings.append(f"load {r.url}: {r.status}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: findings.append(f"load {r.url}: {r.failure}"))
        # Requests a page makes after its load event (htmx's bell): each is let finish before the next page, which
        # would cut it short (a request still unanswered after ten seconds is cut, and found as failed).
        pending: set[Any] = set()
        page.on("request", lambda r, pending=pending: pending.add(r))
        page.on("requestfinished", lambda r, pending=pending: pending.discard(r))
        page.on("requestfailed", lambda r, pending=pending: pending.discard(r))
        for checked_page in pages:
            response = page.goto(f"{live_server.url}{checked_page.path}", wait_until="load")
            where = f"{checked_page.path} ({checked_page.name}) as {role}"
            assert response is not None
            assert response.status == 200, f"{where}: {response.status} in the browser"
            # No redirect (to the login page, say): the page checked is the page the test client got.
            assert response.request.redirected_from is None, f"{where}: redirected to {page.url}"
            (saved / checked_page.file_name).write_bytes(response.body())
            results = page.evaluate(AXE_RUN)
            assert results["passes"] > 0, f"{where}: axe reported no passing rule, so it did not run"
            for violation in results["violations"]:
                findings.append(
                    f"axe {violation['id']} ({violation['impact']}, {violation['count']} nodes) {where}: "
                    f"{violation['help']}; " + " | ".join(violation["nodes"])
                )
            settled_by = time.monotonic() + 10
            while pending and time.monotonic() < settled_by:
                page.wait_for_timeout(20)
        context.close()
    # The pages each role reaches: a role that reached nothing would check nothing.
    assert all(checked[role] for role in ROLES), {role: len(pages) for role, pages in checked.items()}

    files = sorted(saved.iterdir())
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    errors, on_canary = vnu_errors(files, canary)
    assert len(files) == sum(len(pages) for pages in checked.values()) > 0
    assert on_canary, "vnu found no error in the canary document: it did not check the files"
    for error in errors:
        findings.append(
            f"vnu {Path(error.get('url', '?')).name}:{error.get('lastLine', '?')}: {error.get('message')}"
            f" [{error.get('extract', '').strip()}]"
        )
    assert findings == [], f"{len(findings)} findings on {len(files)} pages:\n" + "\n".join(findings)
