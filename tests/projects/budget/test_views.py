"""Budget pages: access (404 for clients and outsiders), receipts, timesheet, portfolio query counts, command."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from projects.budget import figures, selectors
from projects.budget.services import checks, plan
from projects.models import BudgetLine, Expense, Project, StatusUpdate, TimeEntry
from teams.services import member_rate_set
from tests import factories
from tests.projects.steps import set_contingency_reserve

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def project(world, pm):
    project = world["alpha_project"]
    project.bac = None  # no budget yet: the lines make the BAC
    project.save()
    plan.budget_line_add(project=project, category="labour", amount=D("90000"), actor=pm)
    member_rate_set(
        member=project.team_members.get(), cost_rate=D("55.00"), bill_rate=D("95.00"), valid_from=dt.date(2024, 1, 1)
    )
    return project


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(("who", "status"), [("pm", 200), ("head", 200), ("outside_head", 200), ("admin_user", 200)])
def test_it_shows_the_budget_page_to_internal_staff_who_see_the_project(client, project, who, status, request):
    response = _login(client, request.getfixturevalue(who)).get(reverse("projects:budget", args=[project.code]))
    assert response.status_code == status
    body = response.content.decode()
    assert "Budget and earned value" in body
    assert "<svg" in body
    assert "£90,000" in body


def test_it_gives_each_form_on_the_budget_page_its_own_field_ids_and_takes_them_back(client, project, pm):
    body = _login(client, pm).get(reverse("projects:budget", args=[project.code])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for name in (
        "line-amount",
        "expense-amount",
        "settings-contingency_reserve",
        "baseline-reason",
        "contingency-amount",
    ):
        assert f'name="{name}"' in body
    response = client.post(
        reverse("projects:budget_line_add", args=[project.code]),
        {"line-category": "travel", "line-description": "Trains", "line-amount": "500"},
        follow=True,
    )
    assert "Budget line added" in response.content.decode()
    assert BudgetLine.objects.filter(project=project, category="travel", amount=D("500")).exists()


@pytest.mark.parametrize("who", ["client_user", "other_client_user", "member"])
def test_it_answers_404_on_budget_pages_to_clients_and_team_members(client, project, who, request):
    _login(client, request.getfixturevalue(who))
    assert client.get(reverse("projects:budget", args=[project.code])).status_code == 404
    assert client.post(reverse("projects:budget_line_add", args=[project.code]), {}).status_code == 404


def test_it_answers_404_for_a_project_the_head_does_not_see(client, world, head):
    assert _login(client, head).get(reverse("projects:budget", args=["BETA-1"])).status_code == 404


def test_it_keeps_costs_off_the_client_project_page(client, project, client_user):
    body = _login(client, client_user).get(reverse("projects:detail", args=[project.code])).content.decode()
    assert reverse("projects:budget", args=[project.code]) not in body
    assert "90,000" not in body


def test_it_records_an_expense_and_serves_its_receipt_only_as_an_attachment_to_allowed_users(client, project, pm):
    _login(client, pm)
    response = client.post(
        reverse("projects:expense_add", args=[project.code]),
        {
            "expense-date": "2025-01-10",
            "expense-amount": "12.30",
            "expense-category": "travel",
            "expense-supplier": "Rail",
            "expense-receipt": SimpleUploadedFile("ticket.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    url = reverse("projects:expense_receipt", args=[project.code, expense.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG
    client.logout()
    for user in ("client", "member"):
        client.force_login(factories.UserFactory(username=user))
        assert client.get(url).status_code == 404


def test_it_tells_the_pm_why_a_bad_receipt_was_refused(client, project, pm):
    response = _login(client, pm).post(
        reverse("projects:expense_add", args=[project.code]),
        {
            "expense-date": "2025-01-10",
            "expense-amount": "12.30",
            "expense-category": "travel",
            "expense-supplier": "Rail",
            "expense-receipt": SimpleUploadedFile("ticket.pdf", b"<html>not a pdf</html>"),
        },
        follow=True,
    )
    assert "PDF, PNG or JPEG" in response.content.decode()
    assert Expense.objects.count() == 0


def test_it_lets_a_head_approve_contingency_from_the_page(client, project, pm, head):
    set_contingency_reserve(project, pm, D("5000"))
    _login(client, pm).post(
        reverse("projects:contingency_request", args=[project.code]),
        {"contingency-amount": "2000", "contingency-category": "labour", "contingency-reason": "Extra QA"},
    )
    request = project.contingency_requests.get()
    client.force_login(head)
    client.post(reverse("projects:contingency_decide", args=[project.code, request.pk]), {"decision": "approve"})
    project.refresh_from_db()
    assert project.bac == D("92000.00")


def test_it_logs_time_on_the_members_own_projects_only(client, project, member, world):
    _login(client, member)
    url = reverse("projects:timesheet")
    with time_machine.travel(dt.datetime(2025, 3, 12, 12, tzinfo=LONDON)):
        page = client.get(url)
        assert page.status_code == 200
        assert "ALPHA-1" in page.content.decode()
        assert "55.00" not in page.content.decode()  # no rates on the timesheet
        add = reverse("projects:time_entry_add")
        ok = client.post(f"{add}?week=2025-03-10", {"project": "ALPHA-1", "date": "2025-03-11", "hours": "6.5"})
        refused = client.post(f"{add}?week=2025-03-10", {"project": "BETA-1", "date": "2025-03-11", "hours": "2"})
    assert ok.status_code == 302
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    entry = TimeEntry.objects.get()
    assert (entry.project.code, entry.hours, entry.cost) == ("ALPHA-1", D("6.50"), D("357.50"))


def test_it_answers_404_on_the_timesheet_to_a_login_without_a_team_member(client, world, client_user, pm):
    assert _login(client, client_user).get(reverse("projects:timesheet")).status_code == 404
    assert _login(client, pm).get(reverse("projects:timesheet")).status_code == 404


PERCENTS = [D("20"), D("23"), D("25")]  # as of 2025-03-31, SPI 0.8111 red, 0.9328 amber, 1.0139 green


def _portfolio(count: int, department, *, closed_every: int = 0) -> None:
    """``count`` projects Q0000... with a BAC of 100,000 and AC of 100, a third each red, amber and green by SPI.

    Every ``closed_every``-th project (from Q0000) is closed when given.
    """
    projects = Project.objects.bulk_create(
        Project(
            code=f"Q{i:04d}",
            name=f"Q {i}",
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
            bac=D("1000"),
            status="closed" if closed_every and i % closed_every == 0 else "active",
        )
        for i in range(count)
    )
    Project.departments.through.objects.bulk_create(
        Project.departments.through(project_id=p.pk, department_id=department.pk) for p in projects
    )
    BudgetLine.objects.bulk_create(BudgetLine(project=p, category="labour", amount=D("100000")) for p in projects)
    Expense.objects.bulk_create(
        Expense(project=p, date=dt.date(2025, 3, 1), amount=D("100"), currency="GBP", category="other", supplier="S")
        for p in projects
    )
    StatusUpdate.objects.bulk_create(
        StatusUpdate(project=p, as_of=dt.date(2025, 3, 31), percent_complete=PERCENTS[i % 3])
        for i, p in enumerate(projects)
    )
    figures.refresh(p.pk for p in projects)  # bulk_create sends no signals: written as the app would


def _codes(response) -> list[str]:
    return re.findall(r'class="project-code"><a href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize("count", [10, 200])
def test_it_builds_the_department_portfolio_in_a_fixed_number_of_queries(
    client, world, head, count, django_assert_num_queries
):
    _portfolio(count, world["alpha"])
    with django_assert_num_queries(3):
        rows = selectors.portfolio_rows(
            projects=Project.objects.filter(departments=world["alpha"]), as_of=dt.date(2025, 3, 31)
        )
    assert len(rows) == count + 1  # plus ALPHA-1
    row = next(r for r in rows if r.project.code == "Q0000")
    assert (row.metrics.ac, row.metrics.ev, row.metrics.cpi) == (D("100.00"), D("20000.00"), D("200.0000"))
    _login(client, head)
    # session, user, department; ids and statuses, the figures, the figures added up (asked as of a day before
    # the stored ones), the milestones of the projects without a baseline, the page's projects; the department
    # list; the page's margins (approved time and billable expenses by month: the head sees every margin)
    with django_assert_num_queries(11):
        response = client.get(reverse("projects:department_budget", args=["alpha"]) + "?as_of=2025-03-31")
    assert response.status_code == 200
    assert len(_codes(response)) == min(count + 1, selectors.PORTFOLIO_PAGE_SIZE)
    # As of today the stored figures hold: one query fewer.
    with django_assert_num_queries(10):
        assert client.get(reverse("projects:department_budget", args=["alpha"]), {"sort": "rag", "page": "2"})


def test_it_pages_the_department_table_and_counts_every_row_in_the_summary(client, world, head):
    _portfolio(119, world["alpha"])  # 120 with ALPHA-1: pages of 50, 50 and 20
    _login(client, head)
    url = reverse("projects:department_budget", args=["alpha"])
    pages = [client.get(url, {"as_of": "2025-03-31", "page": n}) for n in (1, 2, 3)]
    codes = [_codes(page) for page in pages]
    assert [len(c) for c in codes] == [50, 50, 20]
    assert [code for page in codes for code in page] == [
        "ALPHA-1",
        *(f"Q{i:04d}" for i in range(119)),
    ]  # by code, as before, no overlap
    for page in pages:  # the summary covers all 120 rows on every page; ALPHA-1 has nothing to rate
        assert (
            "120 projects, by cost and schedule performance: 40 red, 40 amber, 39 green, 1 no data."
            in page.content.decode()
        )
    assert "Showing 51\N{EN DASH}100." in pages[1].content.decode()
    assert "page=3" in pages[1].content.decode()  # the pagination links to the next page


def test_it_shows_open_projects_by_default_and_filters_closed_and_all(client, world, head):
    _portfolio(30, world["alpha"], closed_every=3)  # Q0000, Q0003, ... closed: the red ones (20 %)
    _login(client, head)
    url = reverse("projects:department_budget", args=["alpha"])
    opened = client.get(url, {"as_of": "2025-03-31"})
    assert "Q0000" not in _codes(opened)
    assert len(_codes(opened)) == 21
    assert (
        "21 projects, by cost and schedule performance: 0 red, 10 amber, 10 green, 1 no data."
        in opened.content.decode()
    )
    closed = client.get(url, {"as_of": "2025-03-31", "status": "closed"})
    assert _codes(closed) == [f"Q{i:04d}" for i in range(0, 30, 3)]
    assert "Closed: 10 projects, by cost and schedule performance: 10 red, 0 amber, 0 green." in closed.content.decode()
    everything = client.get(url, {"as_of": "2025-03-31", "status": "all"})
    assert len(_codes(everything)) == 31
    assert (
        "31 projects, by cost and schedule performance: 10 red, 10 amber, 10 green, 1 no data."
        in everything.content.decode()
    )


def test_it_sorts_the_department_table_worst_first_across_pages(client, world, head):
    _portfolio(119, world["alpha"])
    _login(client, head)
    url = reverse("projects:department_budget", args=["alpha"])
    by_rag = client.get(url, {"as_of": "2025-03-31", "sort": "rag"})
    assert _codes(by_rag)[:40] == [f"Q{i:04d}" for i in range(0, 119, 3)]  # the 40 reds, then ambers by code
    assert _codes(by_rag)[40:50] == [f"Q{i:04d}" for i in range(1, 30, 3)]
    last = client.get(url, {"as_of": "2025-03-31", "sort": "rag", "page": "3"})
    assert _codes(last)[-1] == "ALPHA-1"  # no data last
    by_spi = client.get(url, {"as_of": "2025-03-31", "sort": "spi"})
    assert _codes(by_spi)[:3] == ["ALPHA-1", "Q0000", "Q0003"]  # ALPHA-1: nothing earned yet, SPI 0 as shown
    assert "sort=spi" in by_spi.content.decode()  # the page links keep the sort


@pytest.mark.parametrize(
    "query", [{"status": "nope", "sort": "evil", "page": "abc"}, {"page": "99999"}, {"page": "-1", "sort": ""}]
)
def test_it_answers_junk_table_parameters_with_the_defaults(client, world, head, query):
    _portfolio(3, world["alpha"])
    response = _login(client, head).get(reverse("projects:department_budget", args=["alpha"]), query)
    assert response.status_code == 200
    assert _codes(response)


def test_it_rates_the_department_summary_exactly_as_the_full_rows(world, pm):
    """The cheap ratings (counts and sort) agree with the full EVM rows on every kind of plan and figure."""
    alpha = world["alpha"]
    plain = factories.ProjectFactory(code="R-PLAIN", departments=[alpha], start_date=None, end_date=None)
    StatusUpdate.objects.create(project=plain, as_of=dt.date(2025, 1, 1), percent_complete=D("10"))
    weighted = factories.ProjectFactory(code="R-WEIGHTED", departments=[alpha], bac=D("50000"))
    factories.MilestoneFactory(project=weighted, due_date=dt.date(2025, 2, 1), weight=D("1.50"))
    factories.MilestoneFactory(project=weighted, due_date=dt.date(2025, 9, 1), weight=D("3"))
    factories.MilestoneFactory(project=weighted, due_date=dt.date(2025, 1, 1), weight=D("0"))
    StatusUpdate.objects.create(project=weighted, as_of=dt.date(2025, 3, 1), percent_complete=D("40"))
    Expense.objects.create(
        project=weighted, date=dt.date(2025, 2, 1), amount=D("30000"), currency="GBP", category="other", supplier="S"
    )
    Expense.objects.create(  # after the date: not counted
        project=weighted, date=dt.date(2025, 6, 1), amount=D("99"), currency="GBP", category="other", supplier="S"
    )
    based = factories.ProjectFactory(code="R-BASELINE", departments=[alpha], bac=D("80000"))
    factories.MilestoneFactory(project=based, due_date=dt.date(2025, 3, 1), weight=D("1"))
    plan.budget_line_add(project=based, category="labour", amount=D("80000"), actor=pm)
    plan.baseline_create(project=based, reason="Agreed plan", actor=pm)
    factories.MilestoneFactory(project=based, due_date=dt.date(2024, 1, 1), weight=D("5"))  # not in the baseline
    StatusUpdate.objects.create(project=based, as_of=dt.date(2025, 3, 2), percent_complete=D("120"))
    zero = factories.ProjectFactory(code="R-ZERO", departments=[alpha])
    StatusUpdate.objects.create(project=zero, as_of=dt.date(2025, 3, 1), percent_complete=D("0"))
    Expense.objects.create(
        project=zero, date=dt.date(2025, 3, 1), amount=D("10"), currency="GBP", category="other", supplier="S"
    )
    plan.budget_settings_update(  # a bottom-up ETC: EAC from it, which the table computes from the ratings' inputs
        project=weighted,
        contingency_reserve=D("0"),
        cost_tolerance_percent=D("10"),
        time_tolerance_days=14,
        etc_bottom_up=D("12345.67"),
        actor=pm,
    )
    projects = Project.objects.filter(departments=alpha)
    for as_of in (dt.date(2024, 6, 1), dt.date(2025, 3, 31), dt.date(2026, 1, 1)):
        full = selectors.portfolio_rows(projects=projects, as_of=as_of)
        cheap = selectors.portfolio_ratings(projects=projects, as_of=as_of)
        assert [(r.code, r.cpi, r.spi, r.rag) for r in cheap] == [
            (r.project.code, r.metrics.cpi, r.metrics.spi, r.rag) for r in full
        ]
        table = selectors.portfolio_table(projects=projects, as_of=as_of, status="all")
        assert [(r.project.code, r.currency, r.metrics, r.rag) for r in table.rows] == [
            (r.project.code, r.currency, r.metrics, r.rag) for r in full
        ]
    assert {r.rag for r in cheap} >= {"red", ""}
    assert next(r for r in table.rows if r.project.code == "R-WEIGHTED").metrics.eac_method != (
        next(r for r in table.rows if r.project.code == "R-ZERO").metrics.eac_method
    )


def test_it_answers_404_on_a_department_table_the_user_does_not_head(client, world, head, pm):
    assert _login(client, head).get(reverse("projects:department_budget", args=["BETA"])).status_code == 404
    assert _login(client, pm).get(reverse("projects:department_budget", args=["ALPHA"])).status_code == 404


def test_it_prints_project_metrics_as_json_and_as_text(project, capsys):
    StatusUpdate.objects.create(project=project, as_of=dt.date(2025, 3, 31), percent_complete=D("10"))
    Expense.objects.create(
        project=project, date=dt.date(2025, 3, 1), amount=D("4500"), currency="GBP", category="other", supplier="S"
    )
    call_command("project_metrics", "--project", project.code, "--as-of", "2025-03-31", "--json")
    data = json.loads(capsys.readouterr().out)
    assert (data["bac"], data["ev"], data["ac"], data["cpi"]) == ("90000.00", "9000.00", "4500.00", "2.0000")
    call_command("project_metrics", "--project", project.code, "--as-of", "2025-03-31")
    text = capsys.readouterr().out
    assert "CPI (EV / AC)" in text
    assert "9,000.00" in text


def test_it_explains_bad_project_metrics_input(project):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No project"):
        call_command("project_metrics", "--project", "NOPE")
    with pytest.raises(CommandError, match="--as-of"):
        call_command("project_metrics", "--project", project.code, "--as-of", "31/03/2025")


def test_it_hides_the_budget_from_a_pm_who_is_only_on_the_team(client, world, pm):
    world["beta_project"].team_members.add(factories.TeamMemberFactory(name="PM on the team", user=pm))
    client.force_login(pm)
    assert client.get(reverse("projects:detail", args=["BETA-1"])).status_code == 200
    assert client.get(reverse("projects:budget", args=["BETA-1"])).status_code == 404


def test_it_refuses_huge_budget_settings_with_a_message_and_changes_nothing(client, project, pm):
    before = plan.budget_get(project=project)
    response = _login(client, pm).post(
        reverse("projects:budget_settings", args=[project.code]),
        {
            "settings-contingency_reserve": "9999999999999999.99",
            "settings-cost_tolerance_percent": "10",
            "settings-time_tolerance_days": "14",
            "settings-etc_bottom_up": "9999999999999999.99",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Settings not saved" in response.content.decode()
    assert "at most £1,000,000,000,000" in response.content.decode()
    after = plan.budget_get(project=project)
    assert (after.contingency_reserve, after.etc_bottom_up, after.cost_tolerance_percent) == (
        before.contingency_reserve,
        before.etc_bottom_up,
        before.cost_tolerance_percent,
    )
    assert client.get(reverse("projects:budget", args=[project.code])).status_code == 200


def test_it_saves_settings_and_runs_the_check_in_one_transaction(client, project, pm, monkeypatch):
    before = plan.budget_get(project=project).contingency_reserve

    def failing_check(**kwargs):
        raise RuntimeError("check failed")

    monkeypatch.setattr(checks, "budget_check", failing_check)
    client.raise_request_exception = False
    response = _login(client, pm).post(
        reverse("projects:budget_settings", args=[project.code]),
        {
            "settings-contingency_reserve": "1234",
            "settings-cost_tolerance_percent": "10",
            "settings-time_tolerance_days": "14",
        },
    )
    assert response.status_code == 500
    assert plan.budget_get(project=project).contingency_reserve == before != D("1234")


def test_it_shows_no_rag_on_the_department_table_when_there_is_nothing_to_rate(client, world, head):
    (row,) = selectors.portfolio_rows(
        projects=Project.objects.filter(departments=world["alpha"]), as_of=dt.date(2025, 3, 31)
    )
    assert (row.metrics.ac, row.metrics.cpi) == (D("0.00"), None)  # no costs, no progress reported
    assert row.rag == ""
    response = _login(client, head).get(reverse("projects:department_budget", args=["ALPHA"]), {"as_of": "2025-03-31"})
    body = response.content.decode()
    assert '<span class="rag rag-none">No data</span>' in body
    assert "rag-red" not in body
    assert "rag-green" not in body
    assert "1 project, by cost and schedule performance: 0 red, 0 amber, 0 green, 1 no data." in body


def test_it_shows_a_zero_cpi_as_zero_and_rates_it_red_on_the_department_table(client, world, head, pm):
    project = world["alpha_project"]
    plan.budget_line_add(project=project, category="labour", amount=D("1000"), actor=pm)
    Expense.objects.create(
        project=project, date=dt.date(2025, 3, 1), amount=D("100"), currency="GBP", category="other", supplier="S"
    )
    StatusUpdate.objects.create(project=project, as_of=dt.date(2025, 3, 1), percent_complete=D("0"))
    response = _login(client, head).get(reverse("projects:department_budget", args=["ALPHA"]), {"as_of": "2025-03-31"})
    body = response.content.decode()
    assert '<td class="num">0.00</td>' in body
    assert '<span class="rag rag-red" title="cost and schedule performance">Red</span>' in body
    assert "1 project, by cost and schedule performance: 1 red, 0 amber, 0 green." in body


def _remove_url(project, line):
    return reverse("projects:budget_line_remove", args=[project.code, line.pk])


def test_it_removes_a_budget_line_from_the_page_and_lowers_the_bac(client, project, pm):
    travel = plan.budget_line_add(project=project, category="travel", amount=D("500"), description="Trains", actor=pm)
    page = _login(client, pm).get(reverse("projects:budget", args=[project.code])).content.decode()
    assert _remove_url(project, travel) in page
    response = client.post(_remove_url(project, travel), follow=True)
    assert "Budget line removed; the BAC is £90,000." in response.content.decode()
    assert not BudgetLine.objects.filter(pk=travel.pk).exists()
    project.refresh_from_db()
    assert project.bac == D("90000")
    assert project.budget_events.filter(action="line_removed").exists()


@pytest.mark.parametrize(("who", "status"), [("head", 403), ("member", 404), ("client_user", 404)])
def test_it_refuses_line_removal_to_those_who_may_not_change_the_budget(client, project, who, status, request):
    line = BudgetLine.objects.get(project=project)
    _login(client, request.getfixturevalue(who))
    page = client.get(reverse("projects:budget", args=[project.code]))
    assert _remove_url(project, line) not in page.content.decode()
    assert client.post(_remove_url(project, line)).status_code == status
    assert BudgetLine.objects.filter(pk=line.pk).exists()


def test_it_answers_404_for_another_projects_line_and_405_for_get(client, project, world, pm):
    line = BudgetLine.objects.create(project=world["beta_project"], category="travel", amount=D("5"))
    _login(client, pm)
    assert client.post(reverse("projects:budget_line_remove", args=[project.code, line.pk])).status_code == 404
    assert client.get(_remove_url(project, BudgetLine.objects.get(project=project))).status_code == 405
    assert BudgetLine.objects.filter(pk=line.pk).exists()


def test_it_shows_the_services_refusal_and_changes_nothing(client, project, pm, monkeypatch):
    line = BudgetLine.objects.get(project=project)
    events = project.budget_events.count()

    def removed_meanwhile(*, line, actor):
        BudgetLine.objects.filter(pk=line.pk).delete()  # another tab got there first
        return real(line=line, actor=actor)

    real = plan.budget_line_remove
    monkeypatch.setattr(plan, "budget_line_remove", removed_meanwhile)
    response = _login(client, pm).post(_remove_url(project, line), follow=True)
    assert "Budget line not removed. This budget line was already removed." in response.content.decode()
    assert project.budget_events.count() == events
