"""Junk in query strings: every page a role can open answers without a 500 and writes nothing it should not.

Every non-admin GET page (found by walking the resolver) is opened with
generated query strings: the parameters the views read (``page``, ``from``,
``weeks``, ``as_of``, ``department``, the project filter and archive search
fields …) with junk dates, ids, numbers and text, repeated keys, and unknown
keys. Opened as the project manager (or, for the timesheet, the team member),
who sees the own side's objects.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apm.access.test_sweep import GET_ONLY, NEEDS, all_routes, fill, url_for
from tests.badinput import strategies as hs

pytestmark = pytest.mark.django_db

#: Query parameters the views read (grep request.GET), the project filter's and the archive search's fields.
PARAMETERS = {
    "page": hs.numbers(),
    "from": hs.dates(),
    "weeks": hs.numbers(),
    "week": hs.dates(),
    "as_of": hs.dates(),
    "date_from": hs.dates(),
    "date_to": hs.dates(),
    "department": st.one_of(hs.numbers(), hs.texts(20)),
    "skills": st.one_of(hs.numbers(), hs.texts(20)),
    "level": hs.numbers(),
    "q": hs.texts(),
    "rag": st.one_of(st.sampled_from(["red", "amber", "green"]), hs.texts(10)),
    "category": hs.texts(40),
    "kind": st.one_of(st.sampled_from(["risk", "issue", "highlight", "portfolio"]), hs.texts(10)),
    "status": st.one_of(st.sampled_from(["queued", "sent", "failed", "open"]), hs.texts(10)),
    "project": hs.texts(30),
    "pending": hs.texts(5),
    "counterpart": hs.texts(20),
    "template": st.one_of(hs.numbers(), hs.texts(10)),
    "recipient_organisation": hs.texts(),
    "sort": hs.texts(20),
    "format": hs.texts(10),
    "currency": st.one_of(st.sampled_from(["GBP", "EUR", "gbp", "XXX"]), hs.texts(10)),
    "on": hs.dates(),
    "before": st.one_of(hs.dates(), hs.texts(30)),
    "person": st.one_of(hs.numbers(), hs.texts(10)),
}


#: Pages whose 5xx is an answer, not a crash: the health check says 503 when the broker or beat is down.
ANSWERS_5XX = {"health:status": {503}}


def _pages() -> list[str]:
    """GET pages of the own side that the PM (or the member) opens, by URL name."""
    names = []
    for route in all_routes():
        if route.name.startswith("admin:") or route.name in GET_ONLY or route.name in ("login", "home"):
            continue
        names.append(route.name)
    return sorted(names)


def _role(name: str) -> str:
    """The PM, or the team member for the one page only people with a timesheet open."""
    return "member" if name in NEEDS and NEEDS[name].see == (("keep_timesheet", None),) else "pm"


@st.composite
def query_strings(draw) -> list[tuple[str, str]]:
    """A query as (key, value) pairs: known keys with junk, a key repeated, sometimes an unknown key."""
    keys = draw(st.lists(st.sampled_from(sorted(PARAMETERS)), min_size=1, max_size=5))
    pairs = [(key, draw(PARAMETERS[key])) for key in keys]
    if draw(st.booleans()):
        pairs.append((draw(hs.texts(10)), draw(hs.texts(20))))
    return pairs


#: One world for all pages (building it is most of the cost): each example draws a page and a query.
PAGES = _pages()


@settings(
    max_examples=4 * len(PAGES),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(PAGES), query=query_strings())
def test_it_answers_junk_query_strings_without_a_500(client, sides, users, name, query):
    own, _other = sides
    route = next(r for r in all_routes() if r.name == name)
    url = url_for(route, fill(route, own) or {})
    client.force_login(users[_role(name)])
    # The client builds the query string itself (a list value is a repeated key).
    data: dict[str, list[str]] = {}
    for key, value in query:
        data.setdefault(key.replace("\x00", ""), []).append(value)
    response = client.get(url, data)
    assert response.status_code < 500 or response.status_code in ANSWERS_5XX.get(name, set())
