"""The PM's weekly update: the form in the browser, its validation, and every field in the next highlight PDF."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from projects.budget.services import plan
from projects.models import Expense, StatusUpdate, ToleranceException
from reports.rendering import report_render_snapshot
from tests import factories
from tests.reports.snapshots import build_snapshot

TODAY = dt.datetime(2025, 3, 28, 10, 0, tzinfo=dt.UTC)


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def flat(text: str) -> str:
    return " ".join(text.split())


def weekly_post(**overrides) -> dict[str, str]:
    data = {
        "as_of": "2025-03-28",
        "rag": "amber",
        "rag_time": "red",
        "rag_cost": "green",
        "rag_scope": "green",
        "rag_quality": "amber",
        "rag_risk": "red",
        "commentary_overall": "Pilot live in two branches; onboarding slower than planned.",
        "work_done": "Migrated the Leeds branch ledgers to the new platform.",
        "work_planned": "Train the Sheffield tellers and switch their ledgers over.",
        "decisions_needed": "Approve the weekend cut-over window\nName the client's acceptance lead",
        "risks_issues": "Vendor API rate limits may slow the migration",
        "lessons_learned": "Dry runs on a copy of production caught three mapping faults.",
        "percent_complete": "45",
        "budget_period": "120000",
        "forecast_period": "150000",
    }
    data.update(overrides)
    return data


@time_machine.travel(TODAY, tick=False)
def test_it_shows_the_form_with_what_apm_already_knows(client, pm, project):
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 21), rag="green", work_planned="Plan X")
    factories.MilestoneFactory(project=project, name="Branch pilot sign-off", due_date=dt.date(2025, 4, 4))
    factories.DeliverableFactory(project=project, name="Teller training pack", due_date=dt.date(2025, 4, 10))
    factories.RaidItemFactory(project=project, title="Union consultation delay")
    client.force_login(pm)
    response = client.get(reverse("projects:update", kwargs={"code": project.code}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Branch pilot sign-off" in html
    assert "Teller training pack" in html
    assert "Union consultation delay" in html
    assert "Plan X" in html
    # Carried over: last week's overall rating and period budget.
    assert response.context["form"].initial["rag"] == "green"
    assert response.context["form"].initial["budget_period"] == Decimal("100000.00")


def test_it_is_404_for_users_who_may_not_file_updates(client, member, client_user, outside_head, world):
    url = reverse("projects:update", kwargs={"code": world["beta_project"].code})
    for user in (member, client_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    # A head may not update a project they cannot see.
    client.force_login(factories.UserFactory(username="stranger_head", role="department_head"))
    assert client.get(url).status_code == 404


@time_machine.travel(TODAY, tick=False)
def test_it_rejects_missing_ratings_and_future_dates_and_saves_nothing(client, pm, project):
    client.force_login(pm)
    url = reverse("projects:update", kwargs={"code": project.code})
    response = client.post(url, weekly_post(rag_time="", as_of="2025-04-30"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Rate time: red, amber or green." in errors["rag_time"]
    assert "An update cannot be dated in the future." in errors["as_of"]
    assert not StatusUpdate.objects.filter(project=project).exists()


@time_machine.travel(TODAY, tick=False)
def test_it_edits_the_update_of_the_same_date_instead_of_duplicating(client, pm, project):
    client.force_login(pm)
    url = reverse("projects:update", kwargs={"code": project.code})
    assert client.post(url, weekly_post()).status_code == 302
    assert client.post(url, weekly_post(rag="red", work_done="Changed")).status_code == 302
    update = StatusUpdate.objects.get(project=project)
    assert (update.rag, update.work_done, update.author) == ("red", "Changed", pm)
    project.refresh_from_db()
    assert project.rag == "red"


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("audience", ["internal", "client"])
def test_it_puts_every_field_of_the_form_into_the_next_highlight_pdf(client, pm, project, audience):
    factories.StatusUpdateFactory(
        project=project, as_of=dt.date(2025, 3, 21), rag="green", rag_time="green", rag_risk="amber"
    )
    client.force_login(pm)
    data = weekly_post()
    response = client.post(reverse("projects:update", kwargs={"code": project.code}), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""

    week = {"period_start": dt.date(2025, 3, 22), "period_end": dt.date(2025, 3, 28)}
    snapshot = build_snapshot(
        kind="highlight", audience=audience, scope="project", project=project, title="Alpha highlight", **week
    )
    text = pdf_text(report_render_snapshot(snapshot).pdf)
    for field in ("commentary_overall", "work_done", "work_planned", "risks_issues"):
        assert flat(data[field]) in text, field
    for decision in data["decisions_needed"].splitlines():
        assert decision in text
    assert "Update as of 28 Mar 2025" in text
    assert "45% complete" in text
    ratings = snapshot["projects"][0]["ratings"]
    by_key = {r["key"]: (r["rag"], r["previous"]) for r in ratings}
    assert by_key["time"] == ("red", "green")
    assert by_key["risk"] == ("red", "amber")
    grid = text[text.index("This period") : text.index("Decisions needed")]
    if audience == "internal":
        assert flat(data["lessons_learned"]) in text
        assert "£120,000" in text
        assert "£150,000" in text
        assert "outside the ±10% tolerance" in text
        this_period = ["This", "period", "Amber", "Red", "Green", "Green", "Amber", "Red"]
        assert grid.split("Last period")[0].split() == this_period
    else:
        assert data["lessons_learned"][:20] not in text
        assert "£" not in text
        assert "120,000" not in text
        assert "cost" not in by_key
        assert grid.split("Last period")[0].split() == ["This", "period", "Amber", "Red", "Green", "Amber", "Red"]


@time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC), tick=False)
def test_it_checks_the_budget_tolerances_when_progress_is_reported(client, pm, project):
    project.start_date, project.end_date = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    project.save()
    plan.budget_line_add(project=project, category="labour", amount=Decimal("100000"), actor=pm)
    Expense.objects.create(
        project=project, date=dt.date(2025, 6, 1), amount=Decimal("60000"), currency="GBP", category="travel"
    )
    assert not ToleranceException.objects.exists()
    client.force_login(pm)
    # 50 % done for 60,000 spent: EAC 120,000 against BAC 100,000 breaks the ±10 % cost tolerance.
    response = client.post(
        reverse("projects:update", kwargs={"code": project.code}),
        weekly_post(as_of="2025-06-30", percent_complete="50"),
    )
    assert response.status_code == 302
    assert list(ToleranceException.objects.values_list("kind", "state")) == [("cost", "open")]


def test_it_is_404_for_a_reporting_head_from_another_department(client, outside_head, project):
    client.force_login(outside_head)
    assert client.get(reverse("projects:update", kwargs={"code": project.code})).status_code == 404
    assert client.post(reverse("projects:update", kwargs={"code": project.code}), weekly_post()).status_code == 404
    assert not StatusUpdate.objects.filter(project=project).exists()
