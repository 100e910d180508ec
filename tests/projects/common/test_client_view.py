"""The client view: one declaration of what a client may see, and the three places that show it.

The portal's status page, the share-link page and the client report snapshot
each produce exactly the declared keys with the declared types, hand their
templates no model instance, and never a figure of money.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone

from projects.common import client_view
from projects.common.client_view import (
    ClientComment,
    ClientHighlightDetails,
    ClientMilestone,
    ClientProject,
    ClientProjectCard,
    ClientStatus,
    problems,
    serialise,
)
from projects.models import BudgetLine, ChangeRequest, Document, DocumentVersion
from projects.portal import views as portal_views
from projects.portal.selectors import portal_status
from projects.portal.services import share_link_create
from tests import factories
from tests.reports.snapshots import build_snapshot

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 4, 2, 9, 0, tzinfo=dt.UTC)
#: Money put on the project where a careless page would show it; none may reach a client.
BAC = "987654321"
COST_IMPACT = "31415926"
BUDGET = "918273645"
BUDGET_LINE = "271828182"
#: Internal words on the same objects.
INTERNAL_TEXT = ("Internal budget chat", "Internal description of the change", "Internal reason for the change")
#: What the internal audience of a report adds to a client row, and nothing else.
INTERNAL_KEYS = {
    "currency",
    "bac",
    "budget_period",
    "forecast_period",
    "variance",
    "whole_life_cost",
    "commentary_budget",
    "withheld",
    "lessons_learned",
    "change_requests",
    "burn_up",
    "raid",
    "tolerance",
    # The cost and schedule performance rating and its indices (reports.kinds.project_rows).
    "cpi",
    "spi",
    "performance_rag",
    # The portfolio report's open tolerance exceptions (reports.kinds.portfolio.open_exceptions).
    "tolerance_exceptions",
    # Revenue and margin (reports.kinds.margins.margin_row).
    "billing",
    "contract_value",
    "revenue",
    "cost_to_date",
    "margin",
    "margin_percent",
    "eac",
    "forecast_margin",
    "forecast_margin_percent",
    "margin_target",
    "below_target",
    "unpriced_hours",
    "written_off",
    "retainer",
}
#: The values a client-facing template may get: plain data, nothing with fields of its own.
PLAIN = (str, int, bool, Decimal, dt.date, type(None))


def keys(declaration: type) -> set[str]:
    return set(declaration.__required_keys__)


def walk(value: Any, path: str = "$"):
    """Every (path, leaf) of a context value, through dicts, lists and tuples."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            yield from walk(item, f"{path}[{n}]")
    else:
        yield path, value


def assert_plain(context: dict[str, Any]) -> None:
    """No model instance or queryset anywhere in ``context``; every leaf plain data."""
    for path, leaf in walk(context):
        assert not isinstance(leaf, Model | QuerySet), f"{path} is {leaf!r}"
        assert type(leaf) in PLAIN, f"{path} is a {type(leaf).__name__}"


def flat(text: str) -> str:
    return re.sub(r"[,\s.£]", "", text)


@pytest.fixture
def rendered(monkeypatch):
    """Every (template, context) the portal views hand to ``render``, exactly as handed."""
    calls: list[tuple[str, dict[str, Any]]] = []
    real = portal_views.render

    def spy(request, template_name, context=None, *args, **kwargs):
        calls.append((template_name, context or {}))
        return real(request, template_name, context, *args, **kwargs)

    monkeypatch.setattr(portal_views, "render", spy)
    return calls


@pytest.fixture
def project(world, pm):
    """ALPHA-1 with three updates, milestones done/overdue/upcoming, a sign-off and a decision awaited, a
    rendered client report, a shared document, and money on every object that has some."""
    project = world["alpha_project"]
    project.bac = Decimal(f"{BAC}.00")
    project.save(update_fields=["bac"])
    BudgetLine.objects.create(project=project, category="labour", description="Rate card", amount=BUDGET_LINE)
    for as_of, rag in ((dt.date(2025, 1, 31), "green"), (dt.date(2025, 2, 28), "amber"), (dt.date(2025, 3, 31), "red")):
        factories.StatusUpdateFactory(
            project=project,
            as_of=as_of,
            period_label=f"{as_of:%B}",
            rag=rag,
            rag_time="amber",
            rag_cost="red",
            percent_complete=Decimal("42.50"),
            budget_period=Decimal(f"{BUDGET}.00"),
            forecast_period=Decimal("1.00"),
            whole_life_cost=Decimal(f"{BAC}.00"),
            commentary_overall=f"Overall {as_of:%B}",
            commentary_budget=INTERNAL_TEXT[0],
            work_done="Wireframes done",
            work_planned="Build the pages",
            decisions_needed="- Approve the design\n- Pick a launch date",
            risks_issues="Supplier late",
            lessons_learned="Internal lesson",
            author=pm,
        )
    factories.MilestoneFactory(
        project=project, name="Kick-off", due_date=dt.date(2025, 1, 15), completed_on=dt.date(2025, 3, 14)
    )
    factories.MilestoneFactory(project=project, name="Design sign-off", due_date=dt.date(2025, 3, 1))
    factories.MilestoneFactory(project=project, name="Launch", due_date=dt.date(2026, 6, 1))
    factories.DeliverableFactory(
        project=project, name="Onboarding designs", status="awaiting_sign_off", due_date=dt.date(2025, 4, 10)
    )
    ChangeRequest.objects.create(
        project=project,
        number=7,
        title="Add a language",
        description=INTERNAL_TEXT[1],
        reason=INTERNAL_TEXT[2],
        client_summary="Adds Welsh; moves launch two weeks.",
        cost_impact=Decimal(f"{COST_IMPACT}.00"),
        schedule_impact_days=14,
        approvers="client",
        status="submitted",
        submitted_at=NOW,
    )
    report = factories.ReportFactory(
        project=project,
        audience="client",
        title="Highlight report March",
        scheduled_for=NOW,
        period_start=dt.date(2025, 3, 1),
        queued_at=NOW,
        page_count=2,
        snapshot={},
    )
    report.pdf.save(f"r{report.pk}.pdf", ContentFile(b"%PDF-1.4\n%client view\n"), save=True)
    document = Document.objects.create(
        project=project, kind="sow", title="Signed statement of work", status="approved", visibility="client"
    )
    DocumentVersion.objects.create(
        document=document,
        number=1,
        file=ContentFile(b"%PDF-1.4\n", name="sow.pdf"),
        original_name="sow.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_at=NOW,
    )
    return project


def client_snapshot(project, *, audience: str = "client", kind: str = "highlight") -> dict[str, Any]:
    return build_snapshot(kind=kind, audience=audience, scope="project", project=project, title="Alpha")


# --- The declaration and its checker ------------------------------------------------------------


def test_it_finds_missing_undeclared_and_mistyped_keys():
    milestone = {"name": "Launch", "due_date": dt.date(2025, 6, 1), "completed_on": None, "state": "upcoming"}
    assert problems(milestone, ClientMilestone) == []
    assert problems({**milestone, "cost": Decimal("1")}, ClientMilestone) == ["$: undeclared key 'cost'"]
    assert problems({k: v for k, v in milestone.items() if k != "state"}, ClientMilestone) == ["$: missing key 'state'"]
    # A datetime is not a date, a bool not an int, a value outside a Literal is refused.
    assert problems({**milestone, "due_date": NOW}, ClientMilestone) == ["$.due_date: expected date, got datetime"]
    assert problems({**milestone, "state": "late"}, ClientMilestone)
    assert problems(True, int)
    assert problems(1, bool)
    # The JSON form: dates are ISO strings, decimals strings.
    assert problems(serialise(milestone), ClientMilestone, serialised=True) == []
    assert problems(serialise(milestone), ClientMilestone)
    assert problems({**serialise(milestone), "due_date": "1 June 2025"}, ClientMilestone, serialised=True)
    assert problems("42.50", Decimal | None, serialised=True) == []
    assert problems("lots", Decimal | None, serialised=True)


def test_it_refuses_a_model_instance_or_a_choices_enum_where_a_value_is_declared(world):
    project = world["alpha_project"]
    card = client_view.client_project_card(project)
    assert problems(card, ClientProjectCard) == []
    assert problems({**card, "client": project.client}, ClientProjectCard) == ["$.client: expected str, got Client"]
    # The factory sets rag to RAG.AMBER (a str subclass); the builder hands on a plain "amber".
    assert type(card["rag"]) is str
    with pytest.raises(TypeError):
        problems(project, dict)


# --- (a) the portal's status page -----------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_it_hands_the_portal_page_only_declared_values(client, project, client_user, rendered):
    client.force_login(client_user)
    response = client.get(reverse("portal:project", args=[project.code]))
    assert response.status_code == 200
    ((template, context),) = rendered
    assert template == "portal/project.html"
    assert set(context) == {
        "project",
        "status",
        "deliverable_rows",
        "change_rows",
        "shared",
        "can_decide",
        "can_manage",
        "can_comment",
    }
    assert problems(context["status"], ClientStatus) == []
    # Each item with the comments visible to the client on it (none here; tests/projects/conversation has them).
    assert [item for item, _comments in context["deliverable_rows"]] == context["status"]["deliverables"]
    assert [item for item, _comments in context["change_rows"]] == context["status"]["change_requests"]
    for _item, comments in context["deliverable_rows"] + context["change_rows"]:
        for comment in comments:
            assert problems(comment, ClientComment) == []
    assert context["project"] is context["status"]["project"]
    assert (context["shared"], context["can_decide"], context["can_manage"]) == (False, True, False)
    assert_plain(context)
    status = context["status"]
    # Every list the page shows is filled, so each item's declaration was checked above.
    for key in ("trend", "highlights", "deliverables", "change_requests", "reports", "documents"):
        assert status[key], key
    assert [(m["name"], m["state"]) for m in status["project"]["milestones"]] == [
        ("Kick-off", "done"),
        ("Design sign-off", "overdue"),
        ("Launch", "upcoming"),
    ]
    assert status["change_requests"][0]["summary"] == "Adds Welsh; moves launch two weeks."
    page = response.content.decode()
    assert "CR-7: Add a language" in page
    assert "Moves the finish by 14 days." in page
    assert "Onboarding designs" in page
    assert "Signed statement of work" in page
    assert "Highlight report March" in page


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_team_the_same_client_values_as_a_preview(client, project, pm, rendered):
    client.force_login(pm)
    assert client.get(reverse("portal:project", args=[project.code])).status_code == 200
    ((_, context),) = rendered
    assert problems(context["status"], ClientStatus) == []
    assert (context["can_decide"], context["can_manage"]) == (False, True)
    assert_plain(context)


@time_machine.travel(NOW, tick=False)
def test_it_hands_the_projects_list_only_declared_cards(client, project, client_user, rendered):
    client.force_login(client_user)
    assert client.get(reverse("portal:home")).status_code == 200
    ((_, context),) = rendered
    assert [card["code"] for card in context["projects"]] == [project.code]
    for card in context["projects"]:
        assert problems(card, ClientProjectCard) == []
    assert context["pages"] == {"number": 1, "count": 1, "previous": None, "next": None}
    assert_plain(context)


# --- (b) the share-link page ----------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_it_hands_the_share_link_page_only_declared_values(client, project, pm, rendered):
    made = share_link_create(project=project, user=pm, days=7)
    response = client.get(reverse("portal:shared", args=[made.token]))
    assert response.status_code == 200
    ((template, context),) = rendered
    assert template == "portal/project.html"
    assert set(context) == {
        "project",
        "status",
        "deliverable_rows",
        "change_rows",
        "shared",
        "can_decide",
        "can_manage",
        "can_comment",
        "token",
    }
    assert problems(context["status"], ClientStatus) == []
    assert (context["shared"], context["can_decide"], context["can_manage"]) == (True, False, False)
    # A share link shows no comment and takes none.
    assert context["can_comment"] is False
    assert all(comments == [] for _item, comments in context["deliverable_rows"] + context["change_rows"])
    assert_plain(context)
    assert [r["title"] for r in context["status"]["reports"]] == ["Highlight report March"]


# --- (c) and (d) the client snapshot, and the internal one built on it ---------------------------


@pytest.mark.parametrize("kind", ["highlight", "portfolio"])
def test_it_builds_the_client_snapshot_row_from_the_declaration(project, kind):
    row = client_snapshot(project, kind=kind)["projects"][0]
    declared = keys(ClientProject) | (keys(ClientHighlightDetails) if kind == "highlight" else set())
    # A report's row also says whether its rating predates the report's period (reports.kinds.project_rows),
    # and a portfolio row why its project needs attention (to a client: only a red rating).
    assert set(row) == declared | {"stale"} | ({"attention"} if kind == "portfolio" else set())
    if kind == "portfolio":
        assert set(row["attention"]) <= {"red"}
    assert problems({k: row[k] for k in keys(ClientProject)}, ClientProject, serialised=True) == []
    if kind == "highlight":
        details = {k: row[k] for k in keys(ClientHighlightDetails)}
        assert problems(details, ClientHighlightDetails, serialised=True) == []
        assert [r["key"] for r in row["ratings"]] == ["overall", "time", "scope", "quality", "risk"]
        assert row["deliverables_completed"] == [{"name": "Kick-off", "date": "2025-03-14"}]
    assert row["decisions"] == ["Approve the design", "Pick a launch date"]
    assert row["risks_issues"] == ["Supplier late"]
    assert row["milestones"][1] == {
        "name": "Design sign-off",
        "due_date": "2025-03-01",
        "completed_on": None,
        "state": "overdue",
    }
    json.dumps(row)  # plain JSON, nothing to redact


@pytest.mark.parametrize("kind", ["highlight", "portfolio"])
def test_it_builds_the_internal_row_by_adding_internal_keys_to_the_client_row(project, kind):
    client_row = client_snapshot(project, kind=kind)["projects"][0]
    internal_row = client_snapshot(project, audience="internal", kind=kind)["projects"][0]
    assert set(internal_row) > set(client_row)
    assert set(internal_row) - set(client_row) <= INTERNAL_KEYS
    for key, value in client_row.items():
        if key == "ratings":
            # The one addition inside a shared key: the cost rating, in its place after time.
            assert [r for r in internal_row["ratings"] if r["key"] != "cost"] == value
            assert [r["key"] for r in internal_row["ratings"]][:3] == ["overall", "time", "cost"]
        elif key == "attention":
            # Internally a broken tolerance is a reason too; a client is never told of one.
            assert set(value) <= set(internal_row["attention"]) <= {"red", "tolerance"}
        else:
            assert internal_row[key] == value, key


# --- (e) no money anywhere a client looks --------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_it_shows_no_money_or_internal_text_on_any_client_page_or_snapshot(client, project, pm, client_user):
    made = share_link_create(project=project, user=pm, days=7)
    client.force_login(client_user)
    portal_page = client.get(reverse("portal:project", args=[project.code])).content.decode()
    client.logout()
    shared_page = client.get(reverse("portal:shared", args=[made.token])).content.decode()
    snapshot = json.dumps(client_snapshot(project))
    portfolio = json.dumps(client_snapshot(project, kind="portfolio"))
    for text in (portal_page, shared_page, snapshot, portfolio):
        for figure in (BAC, COST_IMPACT, BUDGET, BUDGET_LINE):
            assert figure not in flat(text)
        for words in (*INTERNAL_TEXT, "Internal lesson"):
            assert words not in text
    # The same figures are there for the internal audience, so the checks above can fail.
    internal = flat(json.dumps(client_snapshot(project, audience="internal")))
    assert BAC in internal
    assert BUDGET in internal


@time_machine.travel(NOW, tick=False)
def test_it_reads_the_status_page_in_a_fixed_number_of_queries(
    client, project, client_user, django_assert_num_queries, django_assert_max_num_queries
):
    # Updates, milestones, deliverables, change requests, reports, documents and their versions.
    with django_assert_num_queries(7):
        portal_status(project=project, user=client_user)
    client.force_login(client_user)
    url = reverse("portal:project", args=[project.code])
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(5):
        factories.DeliverableFactory(project=project, status="awaiting_sign_off", name=f"More {n}")
        factories.MilestoneFactory(project=project, name=f"Later {n}", due_date=dt.date(2026, 7, n + 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_it_keeps_the_snapshot_dates_and_decimals_in_one_json_form():
    value = {"day": dt.date(2025, 3, 31), "share": Decimal("42.50"), "rows": [{"day": None}], "n": 3}
    assert serialise(value) == {"day": "2025-03-31", "share": "42.50", "rows": [{"day": None}], "n": 3}
    with pytest.raises(TypeError):
        serialise({"at": timezone.now()})
