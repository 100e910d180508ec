"""Project pages: scoping per role, no money for clients, fixed query counts, forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Project
from tests import factories

pytestmark = pytest.mark.django_db


# A BAC no other figure on the page could produce: its presence means money leaked.
SENTINEL_BAC = Decimal("7654321.00")
SENTINEL_TEXT = ("7,654,321", "7654321")
BUDGET_SENTINEL = Decimal("4817263.00")
BUDGET_TEXT = ("4,817,263", "4817263")


def listed_codes(response) -> set[str]:
    return {p.code for p in response.context["projects"]}


EXPECTED = {
    "admin": {"ALPHA-1", "BETA-1"},
    "head": {"ALPHA-1"},
    "outside_head": {"ALPHA-1", "BETA-1"},
    "pm": {"ALPHA-1"},
    "member": {"ALPHA-1"},
    "client_user": {"ALPHA-1"},
    "other_client_user": {"BETA-1"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_it_lists_exactly_the_projects_each_role_may_see(client, world, users, role):
    client.force_login(users[role])
    response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    assert listed_codes(response) == EXPECTED[role]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_it_opens_visible_project_pages_and_404s_the_rest(client, world, users, role):
    client.force_login(users[role])
    for code in ("ALPHA-1", "BETA-1"):
        response = client.get(reverse("projects:detail", args=[code]))
        assert response.status_code == (200 if code in EXPECTED[role] else 404), code


def test_it_shows_a_reporting_head_from_another_department_the_project_they_report_on(client, world, outside_head):
    client.force_login(outside_head)
    response = client.get(reverse("projects:detail", args=["ALPHA-1"]))
    assert response.status_code == 200
    assert b"Alpha Project" in response.content


def test_it_sends_anonymous_users_to_the_login_page(client, world):
    response = client.get(reverse("projects:detail", args=["ALPHA-1"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_answers_404_for_an_unknown_code(client, world, admin_user):
    client.force_login(admin_user)
    assert client.get("/projects/NOPE-999/").status_code == 404
    assert client.get("/projects/NOPE-999/edit/").status_code == 404


def test_it_hides_bac_and_budget_figures_from_client_contacts(client, world, client_user, pm):
    project = world["alpha_project"]
    project.bac = SENTINEL_BAC
    project.save()
    factories.StatusUpdateFactory(
        project=project,
        budget_period=BUDGET_SENTINEL,
        forecast_period=BUDGET_SENTINEL,
        whole_life_cost=BUDGET_SENTINEL,
        commentary_budget="Budget secret: contingency drawn",
    )
    client.force_login(client_user)
    pages = [client.get(reverse("projects:list")), client.get(reverse("projects:detail", args=["ALPHA-1"]))]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "ALPHA-1" in html
        for text in (*SENTINEL_TEXT, *BUDGET_TEXT, "BAC", "Budget secret"):
            assert text not in html

    client.force_login(pm)
    html = client.get(reverse("projects:detail", args=["ALPHA-1"])).content.decode()
    assert "7,654,321" in html
    assert "4,817,263" in html
    assert "Budget secret" in html
    assert "7,654,321" in client.get(reverse("projects:list")).content.decode()


def test_it_shows_rag_chips_latest_rating_and_history_on_the_project_page(client, world, pm):
    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2024, 3, 31), rating_published="Red", rag="red")
    factories.StatusUpdateFactory(
        project=project,
        as_of=dt.date(2025, 3, 31),
        rating_published="Amber/Green",
        rag="green",
        commentary_overall="Line one\nLine two <script>alert(1)</script>",
    )
    factories.MilestoneFactory(project=project, name="Gateway review")
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=["ALPHA-1"]))
    html = response.content.decode()
    assert [s.as_of for s in response.context["history"]] == [dt.date(2025, 3, 31), dt.date(2024, 3, 31)]
    assert "Amber/Green" in html
    assert 'class="rag rag-red"' in html
    assert 'class="rag rag-green"' in html
    assert "Line one\nLine two &lt;script&gt;" in html  # line breaks kept (pre-line), markup escaped
    assert "<script>alert(1)" not in html
    assert "Gateway review" in html
    assert reverse("reports:project", args=["ALPHA-1"]) in html

    listing = client.get(reverse("projects:list"))
    row = next(p for p in listing.context["projects"] if p.code == "ALPHA-1")
    assert row.latest_rating == "Amber/Green"


def test_it_filters_by_department_rag_category_and_search(client, world, admin_user):
    gamma = factories.ProjectFactory(code="GAM-7", name="Gamma Bridge", category="Infrastructure", rag="red")
    gamma.departments.add(world["beta"])
    client.force_login(admin_user)

    def codes(**params) -> set[str]:
        return listed_codes(client.get(reverse("projects:list"), params))

    assert codes(department=world["beta"].pk) == {"BETA-1", "GAM-7"}
    assert codes(rag="red") == {"GAM-7"}
    assert codes(category="Infrastructure") == {"GAM-7"}
    assert codes(q="bridge") == {"GAM-7"}
    assert codes(q="alpha-1") == {"ALPHA-1"}
    assert codes(rag="red", department=world["alpha"].pk) == set()


def test_it_ignores_bad_filter_values_without_an_error(client, world, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("projects:list"), {"department": "abc", "rag": "purple", "page": "x"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors


def test_it_offers_a_client_only_their_own_departments_in_the_filter(client, world, client_user):
    client.force_login(client_user)
    response = client.get(reverse("projects:list"))
    offered = [label for value, label in response.context["filter"].form.fields["department"].choices if value]
    assert offered == [str(world["alpha"])]


def test_it_paginates_fifty_to_a_page(client, world, admin_user):
    factories.ProjectFactory.create_batch(55)
    client.force_login(admin_user)
    first = client.get(reverse("projects:list"))
    assert len(first.context["projects"]) == 50
    second = client.get(reverse("projects:list"), {"page": 2})
    assert len(second.context["projects"]) == 57 - 50


@pytest.mark.parametrize("user_fixture", ["admin_user", "head", "client_user"])
def test_it_lists_with_the_same_number_of_queries_for_5_and_200_projects(
    client, world, django_assert_num_queries, request, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    department = world["alpha"]
    factory_kwargs = {"client": world["acme"]} if user_fixture == "client_user" else {}

    def make(count: int) -> None:
        for project in factories.ProjectFactory.create_batch(count, departments=[department], **factory_kwargs):
            factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 31), rating_published="Red")

    make(5)
    client.get(reverse("projects:list"))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse("projects:list"))
    assert len(response.context["projects"]) >= 5
    # session, user, the ids of the projects seen (none for an administrator: all), filter choices
    # (departments and categories in one), count, rows, departments prefetch
    assert len(small.captured_queries) <= (6 if user_fixture == "admin_user" else 7)
    make(195)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("projects:list"))
    assert len(response.context["projects"]) == 50
    with django_assert_num_queries(len(small.captured_queries)):  # a department chosen costs no query of its own
        client.get(reverse("projects:list"), {"department": department.pk})


@pytest.mark.parametrize("user_fixture", ["pm", "member", "client_user"])
def test_the_project_page_asks_what_the_user_may_do_in_the_tab_bars_one_query(client, world, request, user_fixture):
    """Its buttons and money sections come from the capabilities its tab bar asks, once, in one query; the same
    number of queries whatever its history and milestones."""
    from apm import access
    from projects.common.nav import ASKED

    buttons = (access.see_internal, access.see_money, access.edit_project, access.manage_share_links)
    assert {capability.name for capability in buttons} <= ASKED
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    url = reverse("projects:detail", args=["ALPHA-1"])
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    for n in range(6):
        factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 1, 1 + n))
        factories.MilestoneFactory(project=world["alpha_project"])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    # Asking see_internal, see_money, edit_project and share links each on its own cost a PM 16 queries, a
    # team member 12 (a client sees the status page, which asks none of them); the critical-issue and
    # exception banners read theirs from the same answer.
    assert len(few.captured_queries) == {"pm": 10, "member": 9, "client_user": 8}[user_fixture]
    may = page.context["may"]
    assert may.see_money is (user_fixture == "pm")
    assert may.see_internal is (user_fixture != "client_user")


# --- Create and edit -----------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = {
        "code": "NEW-1",
        "name": "New Project",
        "client": "",
        "departments": [],
        "project_manager": "",
        "reporting_heads": [],
        "category": "ICT",
        "status": "active",
        "rag": "green",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "bac": "250000.00",
        "currency": "GBP",
        "reference": "",
        "description": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_project_for_a_pm_who_manages_it(client, world, pm):
    client.force_login(pm)
    assert client.get(reverse("projects:create")).context["form"].initial["project_manager"] == pm
    response = client.post(
        reverse("projects:create"),
        form_data(project_manager=pm.pk, departments=[world["alpha"].pk], client=world["acme"].pk),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=["NEW-1"])
    project = Project.objects.get(code="NEW-1")
    assert project.bac == Decimal("250000.00")
    assert list(project.departments.all()) == [world["alpha"]]
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_date": "2024-06-30"}, "end_date", "before the start date"),
        ({"bac": "-5"}, "bac", "BAC cannot be negative"),
        ({"code": "alpha-1"}, "code", "already exists"),
        ({"code": ""}, "code", "required"),
        ({"start_date": "not a date"}, "start_date", "valid date"),
    ],
)
def test_it_rejects_bad_input_with_a_clear_message_and_writes_nothing(client, world, pm, overrides, field, message):
    client.force_login(pm)
    before = Project.objects.count()
    response = client.post(reverse("projects:create"), form_data(project_manager=pm.pk, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "Nothing was saved" in response.content.decode()
    assert Project.objects.count() == before


def test_it_refuses_to_create_a_project_the_creator_could_not_see(client, world, pm):
    client.force_login(pm)
    response = client.post(reverse("projects:create"), form_data())
    assert response.status_code == 200
    assert "no longer be able to see" in response.content.decode()
    assert not Project.objects.filter(code="NEW-1").exists()


@pytest.mark.parametrize("role", ["member", "client_user", "other_client_user"])
def test_it_forbids_create_and_hides_edit_from_those_who_may_not_edit(client, world, users, role):
    client.force_login(users[role])
    assert client.get(reverse("projects:create")).status_code == 403
    assert client.post(reverse("projects:create"), form_data()).status_code == 403
    assert client.get(reverse("projects:edit", args=["ALPHA-1"])).status_code == 404
    assert client.post(reverse("projects:edit", args=["ALPHA-1"]), form_data(code="ALPHA-1")).status_code == 404
    assert not Project.objects.filter(code="NEW-1").exists()


def test_it_404s_editing_a_project_the_editor_cannot_see(client, world, head):
    client.force_login(head)
    assert client.get(reverse("projects:edit", args=["BETA-1"])).status_code == 404
    response = client.post(reverse("projects:edit", args=["BETA-1"]), form_data(code="BETA-1", name="Hijacked"))
    assert response.status_code == 404
    assert Project.objects.get(code="BETA-1").name == "Beta Project"


def test_it_edits_a_project_and_keeps_it_unchanged_on_bad_input(client, world, head, pm):
    project = world["alpha_project"]
    client.force_login(head)
    url = reverse("projects:edit", args=["ALPHA-1"])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["code"] == "ALPHA-1"
    base = form_data(
        code="ALPHA-1",
        name="Alpha Renamed",
        departments=[world["alpha"].pk],
        project_manager=pm.pk,
        client=world["acme"].pk,
    )
    bad = client.post(url, {**base, "bac": "-1", "end_date": "2020-01-01"})
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"bac", "end_date"}
    project.refresh_from_db()
    assert project.name == "Alpha Project"

    good = client.post(url, base)
    assert good.status_code == 302
    project.refresh_from_db()
    assert project.name == "Alpha Renamed"
    assert project.bac == Decimal("250000.00")


def test_it_lets_team_members_and_outside_reporting_heads_see_but_not_edit(client, world, pm, outside_head):
    # pm is on beta_project's team (a PM by role) and outside_head reports on alpha_project.
    world["beta_project"].team_members.add(factories.TeamMemberFactory(name="PM on the team", user=pm))
    for user, code in ((pm, "BETA-1"), (outside_head, "ALPHA-1")):
        client.force_login(user)
        assert client.get(reverse("projects:detail", args=[code])).status_code == 200
        assert client.get(reverse("projects:edit", args=[code])).status_code == 404
        response = client.post(reverse("projects:edit", args=[code]), {"code": code, "name": "Renamed"})
        assert response.status_code == 404
    assert Project.objects.filter(name="Renamed").count() == 0
