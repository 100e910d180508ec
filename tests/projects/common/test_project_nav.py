"""The one project navigation: every project page shows the same tabs, the active one marked, and
exactly the tabs whose pages answer the user (``projects/common/nav.py``, ``{% project_tabs %}``)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.common.nav import ASKED, PAGE_CAPABILITIES, TABS, project_capabilities, request_capabilities
from tests.apm.access.test_sweep import NEEDS

pytestmark = pytest.mark.django_db

#: Every tab's page, by the tab's key.
TAB_URLS = {tab.key: tab.url_name for tab in TABS}


class Tabs(HTMLParser):
    """The links of the page's project tab bar (``nav.project-tabs``): (href, text, class, aria-current)."""

    def __init__(self) -> None:
        super().__init__()
        self.bars = 0
        self.inside = False
        self.links: list[dict[str, str]] = []
        self._link: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "nav" and "project-tabs" in attributes.get("class", "").split():
            self.bars += 1
            self.inside = True
        elif self.inside and tag == "a":
            self._link = {
                "href": attributes.get("href", ""),
                "class": attributes.get("class", ""),
                "current": attributes.get("aria-current", ""),
                "text": "",
            }

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append(self._link)
            self._link = None
        elif tag == "nav" and self.inside:
            self.inside = False


def tabs_of(response) -> Tabs:
    parsed = Tabs()
    parsed.feed(response.content.decode())
    return parsed


def url(key: str, project) -> str:
    return reverse(TAB_URLS[key], kwargs={"code": project.code})


@pytest.fixture
def project(world):
    return world["alpha_project"]


# The brief's three, and two heads (one of the project's department, one reporting head of another).
USERS = ["pm", "member", "client_user", "head", "outside_head"]


@pytest.mark.parametrize("user_fixture", USERS)
def test_it_shows_exactly_the_tabs_whose_pages_answer_and_marks_the_active_one(client, project, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    overview = client.get(url("overview", project))
    assert overview.status_code == 200
    shown = [link["href"] for link in tabs_of(overview).links]
    assert shown, "the overview shows at least its own tab"
    expected_order = [url(tab.key, project) for tab in TABS if url(tab.key, project) in shown]
    assert shown == expected_order

    for tab in TABS:
        href = url(tab.key, project)
        response = client.get(href)
        if href not in shown:
            assert response.status_code in (403, 404), f"{tab.key} is hidden but answers {response.status_code}"
            continue
        assert response.status_code == 200, f"{tab.key} is shown but answers {response.status_code}"
        page = tabs_of(response)
        assert page.bars == 1, f"{tab.key} shows {page.bars} project tab bars"
        # The same tabs on every page.
        assert [link["href"] for link in page.links] == shown, tab.key
        active = [link for link in page.links if "active" in link["class"].split()]
        assert [(link["href"], link["current"]) for link in active] == [(href, "page")], tab.key
        assert all(link["current"] == "" for link in page.links if link not in active)


def test_it_shows_each_relationship_the_tabs_of_the_policy(client, project, pm, member, client_user):
    everything = [tab.key for tab in TABS]
    internal = [
        "overview",
        "team",
        "deliverables",
        "tasks",
        "quality",
        "changes",
        "raid",
        "documents",
        "correspondence",
        "activity",
    ]
    expected = {
        pm: everything,
        member: [*internal, "reports"],
        client_user: ["overview", "reports"],
    }
    for user, keys in expected.items():
        client.force_login(user)
        shown = [link["href"] for link in tabs_of(client.get(url("overview", project))).links]
        assert shown == [url(key, project) for key in everything if key in keys], user.username


def test_each_tab_asks_what_its_page_needs_in_the_access_sweep():
    for tab in TABS:
        need = NEEDS[tab.url_name]
        assert need.see == ((tab.capability.name, "project"),), tab.key
        assert need.act is None


@pytest.mark.parametrize(
    ("name", "args", "active"),
    [
        ("projects:deliverable_create", (), "deliverables"),
        ("projects:change_create", (), "changes"),
        ("projects:raid_create", (), "raid"),
        ("projects:clauses", (), "documents"),
        ("projects:compliance", (), "documents"),
        ("projects:document_create", (), "documents"),
        ("projects:letter_create", (), "correspondence"),
    ],
)
def test_it_marks_the_tab_a_page_below_it_belongs_to(client, project, pm, name, args, active):
    client.force_login(pm)
    query = "?kind=risk" if name == "projects:raid_create" else ""
    response = client.get(reverse(name, args=[project.code, *args]) + query)
    assert response.status_code == 200
    links = tabs_of(response).links
    assert [link["href"] for link in links] == [url(tab.key, project) for tab in TABS]
    active_links = [link for link in links if "active" in link["class"].split()]
    assert [link["href"] for link in active_links] == [url(active, project)]
    # Below the tab's own page, the tab is current but not the page.
    assert active_links[0]["current"] == "true"


def test_client_access_stays_in_the_apps_frame(client, project, pm):
    client.force_login(pm)
    response = client.get(url("client_access", project))
    assert response.status_code == 200
    names = [template.name for template in response.templates]
    assert "base.html" in names
    assert "portal/base.html" not in names


def test_the_tabs_ask_the_policy_once_a_request(project, pm, member):
    # One query answers every tab's capability, and those the pages under the tabs ask ...
    with CaptureQueriesContext(connection) as asked:
        capabilities = project_capabilities(pm, project)
    assert len(asked.captured_queries) == 1
    assert capabilities == {tab.capability.name for tab in TABS} | {c.name for c in PAGE_CAPABILITIES}
    team = {"see_project", "see_internal", "see_internal_documents", "work_on_project", "edit_tasks"}
    assert project_capabilities(member, project) == team
    # ... asked once a request, however many times a page renders the tab bar.
    request = RequestFactory().get("/")
    request.user = member
    with CaptureQueriesContext(connection) as asked:
        first = request_capabilities(request, project)
        again = request_capabilities(request, project)
    assert len(asked.captured_queries) == 1
    assert first == again == team


@pytest.mark.parametrize("user_fixture", [*USERS, "admin_user"])
def test_its_one_query_answers_as_each_capability_alone(project, request, user_fixture):
    """Capabilities whose querysets are the same SQL are asked once: the answer is still each one's ``allows``."""
    user = request.getfixturevalue(user_fixture)
    asked = {tab.capability for tab in TABS} | set(PAGE_CAPABILITIES)
    assert {c.name for c in asked} == ASKED
    assert project_capabilities(user, project) == {c.name for c in asked if c.allows(user, project)}
