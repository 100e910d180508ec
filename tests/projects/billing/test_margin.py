"""A project's revenue, cost and margin through the real writes: rate cards, time logged and approved, expenses,
milestones falling due; in a fixed number of queries for any number of projects."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apm.outbox.models import OutboundEmail
from projects.billing.margin import project_margin, project_margins, totals
from projects.budget import figures
from projects.budget.services.approval import time_entries_decide, timesheet_week_submit
from projects.budget.services.checks import budget_check
from projects.budget.services.costs import expense_record, time_entry_record
from projects.models import (
    BillingMilestone,
    BillingModel,
    DeliverableStatus,
    MarginAlert,
    Project,
    ProjectBilling,
    Recognition,
)
from teams.services import member_rate_set
from tests import factories

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
END_OF_MARCH = dt.date(2026, 3, 31)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 3, 31, 17, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def project(world):
    """ALPHA-1 in GBP with a budget of 10,000.00, billed time and materials with a 10 % markup on expenses."""
    project = world["alpha_project"]
    Project.objects.filter(pk=project.pk).update(
        currency="GBP", bac=D("10000.00"), start_date=dt.date(2026, 1, 1), end_date=None
    )
    figures.refresh([project.pk])  # its kept forecast reads the BAC (an update sends no signal)
    project.refresh_from_db()
    ProjectBilling.objects.create(
        project=project, model=BillingModel.TIME_AND_MATERIALS, expense_markup_percent=D("10")
    )
    return project


@pytest.fixture
def mo(world):
    """Mo Member, a developer: cost 55.00 an hour; the developer's card 95.00 an hour to 14 March, 105.00 from
    the 15th."""
    person = world["alpha_project"].team_members.get()
    person.job_role = factories.JobRoleFactory(title="Developer")
    person.save()
    member_rate_set(member=person, cost_rate=D("55.00"), bill_rate=D("80.00"), valid_from=dt.date(2025, 1, 1))
    factories.BillRateFactory(
        job_role=person.job_role, rate=D("95.00"), valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 3, 14)
    )
    factories.BillRateFactory(job_role=person.job_role, rate=D("105.00"), valid_from=dt.date(2026, 3, 15))
    return person


def test_a_pm_approves_a_month_of_time_and_the_margin_moves(project, mo, member, pm):
    """8 h on Tue 10 Mar at 95.00 (760.00) and 6 h on Fri 20 Mar at 105.00 (630.00); a billable expense of
    200.00 on 18 Mar marked up 10 % (220.00). Cost: 14 h x 55.00 = 770.00 + 200.00 = 970.00.

    Before approval only the expense earns: 220.00 against 970.00. Approved: 1,610.00, margin 640.00, 39.8 %.
    """
    monday = time_entry_record(member=mo, project=project, date=dt.date(2026, 3, 10), hours=D("8"), actor=member)
    friday = time_entry_record(member=mo, project=project, date=dt.date(2026, 3, 20), hours=D("6"), actor=member)
    assert (monday.bill_amount, friday.bill_amount) == (D("760.00"), D("630.00"))
    expense_record(project=project, date=dt.date(2026, 3, 18), amount=D("200"), category="travel", supplier="Rail")
    before = project_margin(project=project, as_of=END_OF_MARCH)
    assert (before.revenue.total, before.to_date.cost, before.to_date.margin) == (
        D("220.00"),
        D("970.00"),
        D("-750.00"),
    )

    timesheet_week_submit(member=mo, week_start=dt.date(2026, 3, 9), actor=member)
    timesheet_week_submit(member=mo, week_start=dt.date(2026, 3, 16), actor=member)
    time_entries_decide(project=project, entry_ids=[monday.pk, friday.pk], approve=True, actor=pm)
    after = project_margin(project=project, as_of=END_OF_MARCH)
    assert after.revenue.total == D("1610.00")
    assert after.revenue.by_month == {dt.date(2026, 3, 1): D("1610.00")}
    assert (after.to_date.margin, after.to_date.percent) == (D("640.00"), D("39.8"))
    assert after.contract_value == D("10000.00")  # no not-to-exceed amount: the budget


def test_non_billable_time_and_expenses_earn_nothing_but_cost(project, mo, member, pm):
    entry = time_entry_record(
        member=mo, project=project, date=dt.date(2026, 3, 10), hours=D("4"), billable=False, actor=member
    )
    expense_record(
        project=project, date=dt.date(2026, 3, 11), amount=D("50"), category="travel", supplier="Taxi", billable=False
    )
    timesheet_week_submit(member=mo, week_start=dt.date(2026, 3, 9), actor=member)
    time_entries_decide(project=project, entry_ids=[entry.pk], approve=True, actor=pm)
    margin = project_margin(project=project, as_of=END_OF_MARCH)
    assert (margin.revenue.total, margin.to_date.cost) == (D("0.00"), D("270.00"))
    assert margin.to_date.percent is None


def test_a_fixed_price_milestone_falls_due_when_its_deliverable_is_accepted(project, world):
    """Price 12,000.00: 5,000.00 on the design's acceptance, 7,000.00 on 30 Apr. Forecast: the price against
    EAC (BAC 10,000.00 while nothing is spent): 2,000.00, 16.7 %."""
    ProjectBilling.objects.filter(project=project).update(
        model=BillingModel.FIXED_PRICE, contract_value=D("12000.00"), recognition=Recognition.MILESTONES
    )
    design = factories.DeliverableFactory(project=project, name="Design", due_date=dt.date(2026, 3, 20))
    BillingMilestone.objects.create(project=project, name="Design", amount=D("5000.00"), deliverable=design)
    BillingMilestone.objects.create(project=project, name="Launch", amount=D("7000.00"), due_on=dt.date(2026, 4, 30))
    assert project_margin(project=project, as_of=END_OF_MARCH).revenue.total == D("0.00")
    design.status = DeliverableStatus.ACCEPTED
    design.signed_off_at = timezone.make_aware(dt.datetime(2026, 3, 25, 15), LONDON)
    design.save()
    margin = project_margin(project=project, as_of=END_OF_MARCH)
    assert margin.revenue.by_month == {dt.date(2026, 3, 1): D("5000.00")}
    assert (margin.forecast.margin, margin.forecast.percent) == (D("2000.00"), D("16.7"))
    assert project_margin(project=project, as_of=dt.date(2026, 4, 30)).revenue.total == D("12000.00")


def test_a_retainer_counts_approved_billable_hours_against_its_months(project, mo, member, pm):
    """20 h a month for 2,000.00, no rollover, overage at 110.00; March's 24 approved hours: 4 h overage."""
    ProjectBilling.objects.filter(project=project).update(
        model=BillingModel.RETAINER,
        retainer_fee=D("2000.00"),
        retainer_hours=D("20"),
        rollover_months=0,
        overage_rate=D("110.00"),
    )
    entries = [
        time_entry_record(member=mo, project=project, date=dt.date(2026, 3, day), hours=D("8"), actor=member)
        for day in (2, 3, 4)
    ]
    timesheet_week_submit(member=mo, week_start=dt.date(2026, 3, 2), actor=member)
    time_entries_decide(project=project, entry_ids=[e.pk for e in entries], approve=True, actor=pm)
    margin = project_margin(project=project, as_of=END_OF_MARCH)
    assert (margin.retainer.used, margin.retainer.overage_hours, margin.retainer.overage) == (
        D("24"),
        D("4"),
        D("440.00"),
    )
    assert margin.revenue.total == D("6440.00")  # January, February, March fees and March's overage
    assert margin.contract_value is None  # no end date: the months to come are not known


def test_the_client_target_marks_a_forecast_below_it(project, world):
    world["acme"].margin_target_percent = D("25")
    world["acme"].save()
    ProjectBilling.objects.filter(project=project).update(contract_value=D("12000.00"))
    margin = project_margin(project=project, as_of=END_OF_MARCH)
    assert (margin.forecast.percent, margin.target, margin.below_target) == (D("16.7"), D("25"), True)
    world["acme"].margin_target_percent = D("15")
    world["acme"].save()
    assert project_margin(project=project, as_of=END_OF_MARCH).below_target is False


def test_margins_of_many_projects_take_the_same_queries_as_of_one(project, mo, member, pm, world):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            project_margins(projects=Project.objects.all(), as_of=END_OF_MARCH)
        return len(captured.captured_queries)

    one = count()
    for n in range(4):
        other = factories.ProjectFactory(code=f"M-{n}", client=world["acme"], currency="GBP")
        ProjectBilling.objects.create(
            project=other,
            model=BillingModel.FIXED_PRICE,
            contract_value=D("1000"),
            recognition=Recognition.PERCENT_COMPLETE,
        )
        factories.StatusUpdateFactory(project=other, as_of=dt.date(2026, 3, 6), percent_complete=D("40"))
    assert count() == one + 2  # the fixed-price milestones and percent complete, once each
    margins = project_margins(projects=Project.objects.filter(code__startswith="M-"), as_of=END_OF_MARCH)
    assert [m.revenue.total for m in margins] == [D("400.00")] * 4
    (gbp,) = totals(margins)
    assert (gbp.projects, gbp.to_date.revenue, gbp.forecast.revenue) == (4, D("1600.00"), D("4000.00"))


def test_a_forecast_below_the_client_target_alerts_once_per_breach(project, world, pm):
    """Target 25 %: a price of 12,000.00 against an EAC of 10,000.00 is 16.7 %: one alert, emailed to those
    who see the margin; a second check sends nothing; 14,000.00 (28.6 %) closes it; back to 12,000.00 is a
    new breach."""
    pm.email = "pm@example.com"
    pm.save()
    world["acme"].margin_target_percent = D("25")
    world["acme"].save()
    ProjectBilling.objects.filter(project=project).update(contract_value=D("12000.00"))
    raised = budget_check(project=project).margin_alert
    assert (raised.forecast_percent, raised.target_percent) == (D("16.7"), D("25.00"))
    assert budget_check(project=project).margin_alert is None
    emails = OutboundEmail.objects.filter(subject__startswith="Margin alert")
    assert [(e.to, e.subject) for e in emails] == [
        (
            ["pm@example.com", "outside_head@example.com", "head@example.com"],  # the PM and heads; not the team
            "Margin alert: ALPHA-1 is forecast at 16.7% margin, under Acme's 25% target",
        )
    ]
    assert "Contract value: £12,000\nForecast cost at completion (EAC): £10,000\n" in emails[0].body_text
    ProjectBilling.objects.filter(project=project).update(contract_value=D("14000.00"))
    budget_check(project=project)
    assert MarginAlert.objects.get().closed_at is not None
    ProjectBilling.objects.filter(project=project).update(contract_value=D("12000.00"))
    assert budget_check(project=project).margin_alert is not None
    assert MarginAlert.objects.count() == 2
    assert OutboundEmail.objects.filter(subject__startswith="Margin alert").count() == 2


def test_expenses_are_marked_up_one_by_one_and_no_budget_caps_nothing(project, mo, member, pm):
    """Two expenses of 0.05 marked up 10 %: 0.055 each, 0.06 half-up, 0.12 (on their sum it would be 0.11). With
    neither a not-to-exceed amount nor a budget, nothing caps time and materials (no contract value either)."""
    Project.objects.filter(pk=project.pk).update(bac=None)
    figures.refresh([project.pk])
    for day in (2, 3):
        expense_record(project=project, date=dt.date(2026, 3, day), amount=D("0.05"), category="travel", supplier="Bus")
    margin = project_margin(project=project, as_of=END_OF_MARCH)
    assert (margin.revenue.total, margin.revenue.written_off) == (D("0.12"), D("0.00"))
    assert (margin.contract_value, margin.forecast) == (None, None)


def test_a_milestone_accepted_just_after_local_midnight_falls_due_that_local_day(project):
    ProjectBilling.objects.filter(project=project).update(model=BillingModel.FIXED_PRICE, contract_value=D("100"))
    accepted = factories.DeliverableFactory(project=project, status=DeliverableStatus.ACCEPTED)
    accepted.signed_off_at = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 July in London
    accepted.save()
    BillingMilestone.objects.create(project=project, name="Launch", amount=D("100"), deliverable=accepted)
    assert project_margin(project=project, as_of=dt.date(2026, 7, 31)).revenue.by_month == {
        dt.date(2026, 7, 1): D("100.00")
    }
