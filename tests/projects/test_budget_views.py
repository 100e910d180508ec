"""Budget pages: access (404 for clients and outsiders), receipts, timesheet, portfolio query counts, command."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from projects.budget import selectors, services
from projects.models import BudgetLine, Expense, Project, StatusUpdate, TimeEntry
from teams.services import member_rate_set
from tests import factories

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def project(world, pm):
    project = world["alpha_project"]
    project.bac = None  # no budget yet: the lines make the BAC
    project.save()
    services.budget_line_add(project=project, category="labour", amount=D("90000"), actor=pm)
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
            "date": "2025-01-10",
            "amount": "12.30",
            "category": "travel",
            "supplier": "Rail",
            "receipt": SimpleUploadedFile("ticket.png", PNG, content_type="image/png"),
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
            "date": "2025-01-10",
            "amount": "12.30",
            "category": "travel",
            "supplier": "Rail",
            "receipt": SimpleUploadedFile("ticket.pdf", b"<html>not a pdf</html>"),
        },
        follow=True,
    )
    assert "PDF, PNG or JPEG" in response.content.decode()
    assert Expense.objects.count() == 0


def test_it_lets_a_head_approve_contingency_from_the_page(client, project, pm, head):
    services.budget_settings_update(
        project=project,
        contingency_reserve=D("5000"),
        cost_tolerance_percent=D("10"),
        time_tolerance_days=14,
        etc_bottom_up=None,
        actor=pm,
    )
    _login(client, pm).post(
        reverse("projects:contingency_request", args=[project.code]),
        {"amount": "2000", "category": "labour", "reason": "Extra QA"},
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
        ok = client.post(f"{url}?week=2025-03-10", {"project": "ALPHA-1", "date": "2025-03-11", "hours": "6.5"})
        refused = client.post(f"{url}?week=2025-03-10", {"project": "BETA-1", "date": "2025-03-11", "hours": "2"})
    assert ok.status_code == 302
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    entry = TimeEntry.objects.get()
    assert (entry.project.code, entry.hours, entry.cost) == ("ALPHA-1", D("6.50"), D("357.50"))


def test_it_answers_404_on_the_timesheet_to_a_login_without_a_team_member(client, world, client_user, pm):
    assert _login(client, client_user).get(reverse("projects:timesheet")).status_code == 404
    assert _login(client, pm).get(reverse("projects:timesheet")).status_code == 404


def _portfolio(count: int, department) -> None:
    projects = Project.objects.bulk_create(
        Project(
            code=f"Q{i:04d}",
            name=f"Q {i}",
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
            bac=D("1000"),
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
        StatusUpdate(project=p, as_of=dt.date(2025, 3, 31), percent_complete=D("20")) for p in projects
    )


@pytest.mark.parametrize("count", [10, 500])
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
    with django_assert_num_queries(7):  # session, user, department, the three above, the department list
        response = client.get(reverse("projects:department_budget", args=["alpha"]) + "?as_of=2025-03-31")
    assert response.status_code == 200
    assert response.content.decode().count('class="project-code"') == count + 1


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
    before = services.budget_get(project=project)
    response = _login(client, pm).post(
        reverse("projects:budget_settings", args=[project.code]),
        {
            "contingency_reserve": "9999999999999999.99",
            "cost_tolerance_percent": "10",
            "time_tolerance_days": "14",
            "etc_bottom_up": "9999999999999999.99",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Settings not saved" in response.content.decode()
    assert "at most £1,000,000,000,000" in response.content.decode()
    after = services.budget_get(project=project)
    assert (after.contingency_reserve, after.etc_bottom_up, after.cost_tolerance_percent) == (
        before.contingency_reserve,
        before.etc_bottom_up,
        before.cost_tolerance_percent,
    )
    assert client.get(reverse("projects:budget", args=[project.code])).status_code == 200


def test_it_saves_settings_and_runs_the_check_in_one_transaction(client, project, pm, monkeypatch):
    before = services.budget_get(project=project).contingency_reserve

    def failing_check(**kwargs):
        raise RuntimeError("check failed")

    monkeypatch.setattr(services, "budget_check", failing_check)
    client.raise_request_exception = False
    response = _login(client, pm).post(
        reverse("projects:budget_settings", args=[project.code]),
        {"contingency_reserve": "1234", "cost_tolerance_percent": "10", "time_tolerance_days": "14"},
    )
    assert response.status_code == 500
    assert services.budget_get(project=project).contingency_reserve == before != D("1234")


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
    assert "1 project: 0 red, 0 amber, 0 green, 1 no data." in body


def test_it_shows_a_zero_cpi_as_zero_and_rates_it_red_on_the_department_table(client, world, head, pm):
    project = world["alpha_project"]
    services.budget_line_add(project=project, category="labour", amount=D("1000"), actor=pm)
    Expense.objects.create(
        project=project, date=dt.date(2025, 3, 1), amount=D("100"), currency="GBP", category="other", supplier="S"
    )
    StatusUpdate.objects.create(project=project, as_of=dt.date(2025, 3, 1), percent_complete=D("0"))
    response = _login(client, head).get(reverse("projects:department_budget", args=["ALPHA"]), {"as_of": "2025-03-31"})
    body = response.content.decode()
    assert '<td class="num">0.0000</td>' in body
    assert '<span class="rag rag-red">Red</span>' in body
    assert "1 project: 1 red, 0 amber, 0 green." in body
