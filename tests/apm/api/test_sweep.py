"""The API access sweep and the JSON money sweep, over every GET operation of the schema.

On the world of ``tests/access_world.py`` (one user per relationship of the README's table to ALPHA-1; GAMMA-1
nobody's but the administrator's), with the money of ``tests/apm/access/test_money_sentinels.py`` planted:

* every row of every list a person reads belongs to a project the browser shows them (``access.see_project``):
  any project code anywhere in a row is one of theirs, so GAMMA-1 never appears to anyone but the administrator;
  a client's contact gets a 403 on every internal operation, the team a 403 on the portal's, nobody a 401;
* neither the team member's token nor the client contact's finds a planted figure in the JSON of any GET
  operation (each list, every page, and the detail of each row listed), searched as the page sweep searches
  (separators stripped; a contact may read what their client is billed on the portal's invoices only).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from apm import access
from projects.models import Project
from tests.access_world import RELATIONSHIPS
from tests.apm.access.test_money_sentinels import invoiced, leaks, planted
from tests.apm.access.test_money_sentinels import world as world  # the fixture, reused
from tests.apm.api.harness import (
    INTERNAL,
    PARAMETER,
    PORTAL,
    Operation,
    collected_operations,
    may_use,
    real_path_parameters,
    rows,
    value_in,
)

pytestmark = pytest.mark.django_db

OPERATIONS = collected_operations()
READS = [operation for operation in OPERATIONS if operation.method == "GET"]
LISTS = [operation for operation in READS if operation.is_list]
SIGNED_IN = [key for key, _words in RELATIONSHIPS if key != "anonymous"]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.APM_API_RATE_PER_MINUTE = 100_000


def every_page(client: Any, url: str) -> tuple[int, list[Any], str]:
    """The status of ``url``'s first page, the rows of all its pages (200 a page) and their JSON text."""
    response = client.get(url, {"page_size": 200})
    if response.status_code != 200:
        return response.status_code, [], ""
    texts, found = [response.content.decode()], []
    body = response.json()
    while True:
        found += body["results"] if isinstance(body, dict) and "results" in body else body
        following = body.get("next") if isinstance(body, dict) else None
        if not following:
            return 200, found, "\n".join(texts)
        response = client.get(following)
        texts.append(response.content.decode())
        body = response.json()


def project_codes(value: Any, codes: set[str]) -> set[str]:
    """The project codes (of ``codes``, every project's) that ``value`` names anywhere inside it."""
    if isinstance(value, str):
        return {value} & codes
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(project_codes(item, codes) for item in value)) if value else set()
    return set()


#: A timestamp of the JSON ("2026-12-08T04:36:41.414523Z"): its digits are the clock's, never a figure, but once
#: flattened a run's microseconds can read as a sentinel. Dropped from a body before the search.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def audience(user: Any) -> str:
    return PORTAL if access.audience_for(user) == access.CLIENT else INTERNAL


def test_the_sweep_has_operations_to_sweep():
    """A control: the schema's operations were collected (a URLconf that fails to import collects none)."""
    assert LISTS, "no list operation was collected: does the URLconf import?"


@pytest.mark.parametrize("key", SIGNED_IN)
def test_every_list_shows_only_the_projects_the_browser_shows(key, world, api_as):
    user = world.users[key]
    client = api_as(user)
    codes = set(Project.objects.values_list("code", flat=True))
    shown = set(access.see_project.queryset(user).values_list("code", flat=True))
    # GAMMA-1 is nobody's but the administrator's, and its client's contact's: the portal shows a client's
    # projects to its contacts (the policy's see_project, as the browser).
    assert ("GAMMA-1" in shown) == (key in ("admin", "other_contact"))
    failures, seen = [], set()
    for operation in LISTS:
        status, found, _text = every_page(client, operation.path)
        if not may_use(audience(user), operation):
            if status != 403:
                failures.append(f"{operation.path} answers {key} {status}, not 403")
            continue
        if status != 200:
            failures.append(f"{operation.path} answers {key} {status}")
            continue
        for row in found:
            named = project_codes(row, codes)
            seen |= named
            if named - shown:
                failures.append(f"{operation.path} shows {key} a row of {sorted(named - shown)}: {str(row)[:200]}")
    assert failures == []
    # A control: the rows were read and named the projects shown (ALPHA-1 to those who see it, GAMMA-1 to the
    # administrator).
    assert seen <= shown
    if "ALPHA-1" in shown:
        assert "ALPHA-1" in seen
    if key == "admin":
        assert "GAMMA-1" in seen


def test_without_a_token_every_list_is_a_401(world):
    from rest_framework.test import APIClient

    for operation in LISTS:
        assert APIClient().get(operation.path).status_code == 401, operation.path


def _reads(client: Any, operation: Operation) -> list[str]:
    """The URLs of ``operation`` for ``client``: the list itself, or the detail of each row of the list before it
    (each row's value of the last parameter; the other parameters those of the first row)."""
    names = PARAMETER.findall(operation.path)
    if not names:
        return [operation.path]
    values = real_path_parameters(client, operation.path)
    if values is None:
        return []
    last = names[-1]
    before = operation.path[: operation.path.rindex("{" + last + "}")].format(**values)
    listed = [str(found) for row in rows_all(client, before) if (found := value_in(row, last)) is not None]
    return [operation.path.format(**{**values, last: value}) for value in listed or [values[last]]]


def rows_all(client: Any, url: str) -> list[dict[str, Any]]:
    _status, found, _text = every_page(client, url)
    return [row for row in found if isinstance(row, dict)] or rows(client, url)


@pytest.mark.parametrize("key", ["member", "contact"])
def test_no_planted_figure_in_any_json_a_member_or_a_contact_reads(key, world, api_as):
    user = world.users[key]
    client = api_as(user)
    billed = invoiced(user)
    failures, read = [], 0
    for operation in READS:
        if not may_use(audience(user), operation):
            continue
        allowed = billed if operation.path.startswith("/api/v1/portal/invoices/") else frozenset()
        for url in _reads(client, operation):
            status, _found, text = every_page(client, url) if operation.is_list else _detail(client, url)
            if status != 200:
                continue
            read += 1
            shown = leaks(TIMESTAMP.sub("", text), planted(world), allowed=allowed)
            if shown:
                failures.append(f"{url} shows {key} {shown}")
    assert failures == []
    lists = [op for op in LISTS if may_use(audience(user), op)]
    assert read > len(lists), f"{key} read {read} answers of {len(lists)} lists: the details were not reached"


def _detail(client: Any, url: str) -> tuple[int, list[Any], str]:
    response = client.get(url)
    return response.status_code, [], response.content.decode() if response.status_code == 200 else ""


def test_the_money_sweep_finds_the_figures_a_pm_may_see(world, api_as):
    """A control: the PM's JSON shows planted figures (so their absence above means something)."""
    client = api_as(world.users["pm"])
    text = json.dumps([every_page(client, operation.path)[2] for operation in LISTS])
    assert "bac" in leaks(text, planted(world))
