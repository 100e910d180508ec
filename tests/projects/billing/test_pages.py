"""The money loop's pages: a project's revenue and margin on its budget page, its billing terms and milestones,
a client's account page, the margin columns of the department budget table. Worked figures in each docstring.

The world (tests/conftest.py): ALPHA-1 for Acme in department ALPHA, its PM ``pm``, ALPHA's head ``head``,
``outside_head`` (heads BETA, a reporting head of ALPHA-1), ``member`` on its team, ``client_user`` Acme's
contact. Time stands still at 17:00 on Tue 31 Mar 2026 in London.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from projects.billing import services
from projects.budget import figures
from projects.budget.services.costs import expense_record, time_entry_record
from projects.models import (
    Approval,
    BillingMilestone,
    BillingModel,
    BudgetEvent,
    Client,
    DeliverableStatus,
    ExchangeRate,
    MarginAlert,
    Project,
    ProjectBilling,
    StatusUpdate,
    TimeEntry,
)
from teams.services import member_rate_set
from tests import factories

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
MARCH_31 = dt.date(2026, 3, 31)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 3, 31, 17, tzinfo=LONDON), tick=False):
        yield


def _text(response) -> str:
    """The page's text without tags, whitespace squeezed."""
    body = response.content.decode()
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace(" .", ".").replace(" ,", ","))


def _section(response) -> str:
    """The text of the budget page's "Revenue and margin" section ("" when it is not there)."""
    body = response.content.decode()
    if 'id="revenue"' not in body:
        return ""
    part = body.split('id="revenue"', 1)[1].split("</section>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def _budget(code: str = "ALPHA-1") -> str:
    return reverse("projects:budget", args=[code])


@pytest.fixture
def alpha(world, pm):
    """ALPHA-1 in GBP, budget 10,000.00 from 1 Jan 2026, billed time and materials with a 10 % markup on expenses
    (no not-to-exceed amount: the budget caps it); Acme's margin target 40 %.

    Mo (developer, cost 55.00 an hour; the developer's card 95.00 to 14 Mar, 105.00 from the 15th) logs 4 h on
    10 Feb (380.00), 8 h on 10 Mar (760.00) and 6 h on 20 Mar (630.00); Nia (analyst, cost 40.00, no bill rate
    anywhere) 2 h on 11 Mar; a billable expense of 200.00 on 18 Mar (220.00 billed). All time approved; 20 %
    complete reported on 31 Mar.

    Revenue: Feb 380.00; Mar 760.00 + 630.00 + 220.00 = 1,610.00; to date 1,990.00.
    Cost: Feb 4 x 55 = 220.00; Mar 8 x 55 + 6 x 55 + 2 x 40 + 200 = 1,050.00; to date 1,270.00.
    Margin: Feb 160.00 (42.1 %), Mar 560.00 (34.8 %), to date 720.00 (36.2 %).
    Forecast: EV 2,000.00, CPI 2,000 / 1,270 = 1.5748, EAC = 10,000 / 1.5748 = 6,350.00; the contract value
    10,000.00 against it: 3,650.00, 36.5 %, under the 40 % target.
    """
    project = world["alpha_project"]
    Project.objects.filter(pk=project.pk).update(
        currency="GBP", bac=D("10000.00"), start_date=dt.date(2026, 1, 1), end_date=None
    )
    project.refresh_from_db()
    Client.objects.filter(pk=world["acme"].pk).update(margin_target_percent=D("40"))
    mo = project.team_members.get()
    mo.job_role = factories.JobRoleFactory(title="Developer")
    mo.save()
    member_rate_set(member=mo, cost_rate=D("55.00"), bill_rate=D("80.00"), valid_from=dt.date(2025, 1, 1))
    factories.BillRateFactory(
        job_role=mo.job_role, rate=D("95.00"), valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 3, 14)
    )
    factories.BillRateFactory(job_role=mo.job_role, rate=D("105.00"), valid_from=dt.date(2026, 3, 15))
    nia = factories.TeamMemberFactory(
        name="Nia New", department=world["alpha"], job_role=factories.JobRoleFactory(title="Analyst")
    )
    project.team_members.add(nia)
    member_rate_set(member=nia, cost_rate=D("40.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1))
    for person, day, hours in ((mo, 10, 4), (mo, 40, 8), (mo, 50, 6), (nia, 41, 2)):  # days from 31 Jan
        time_entry_record(
            member=person, project=project, date=dt.date(2026, 1, 31) + dt.timedelta(days=day), hours=D(hours)
        )
    expense_record(project=project, date=dt.date(2026, 3, 18), amount=D("200"), category="travel", supplier="Rail")
    TimeEntry.objects.filter(project=project).update(approval=Approval.APPROVED)
    figures.refresh([project.pk])  # an update sends no signal
    StatusUpdate.objects.create(project=project, as_of=MARCH_31, percent_complete=D("20"))
    services.project_billing_set(
        actor=pm, project=project, model=BillingModel.TIME_AND_MATERIALS, expense_markup_percent=D("10")
    )
    return project


# --- The budget page's section ----------------------------------------------------------------------------------


def test_it_shows_the_pm_revenue_cost_and_margin_with_the_gaps_and_the_months(client, alpha, pm):
    client.force_login(pm)
    section = _section(client.get(_budget()))
    assert "Time and materials" in section
    assert "billable expenses marked up 10%" in section
    assert "capped at the budget (BAC, no not-to-exceed amount set)" in section
    for figure in ("£10,000", "£1,990", "£1,270", "£720", "36.2% of revenue", "£3,650", "36.5%", "EAC £6,350"):
        assert figure in section, figure
    assert "40% below target" in section  # the client's target, marked
    assert "Forecast below target: a forecast margin of 36.5% against Acme's target of 40%." in section
    assert "Margin alert open since 31 Mar 2026" in section  # raised when the billing was set
    # The PM keeps no rate cards: told whom to ask, not linked to a page they cannot open.
    assert "2 h approved with no bill rate earn nothing" in section
    assert "Ask an administrator to add a rate card" in section
    assert reverse("projects:rates") not in client.get(_budget()).content.decode()
    months = re.sub(r"\s+", " ", section.split("Month by month", 1)[1])
    assert "Feb 2026 £380 £220 £160 42.1%" in months
    assert "Mar 2026 £1,610 £1,050 £560 34.8%" in months
    assert "Jan 2026" not in months  # the table starts at the first month with any revenue or cost
    assert "Billing model and terms" in section  # the PM's form


def test_an_administrator_is_linked_to_the_rate_cards_from_the_gap(client, alpha, admin_user):
    client.force_login(admin_user)
    body = client.get(_budget()).content.decode()
    assert f'<a href="{reverse("projects:rates")}" class="alert-link">Add a rate card</a>' in body


@pytest.mark.parametrize("who", ["head", "outside_head"])
def test_heads_see_the_section_without_the_pms_forms(client, alpha, users, who):
    client.force_login(users[who])
    response = client.get(_budget())
    section = _section(response)
    assert "£1,990" in section
    assert "36.5%" in section
    assert "Billing model and terms" not in section
    assert "Add a billing milestone" not in section
    assert f'href="{reverse("projects:client_account", args=[alpha.client_id])}"' in response.content.decode()
    assert (
        client.post(reverse("projects:billing_settings", args=["ALPHA-1"]), {"billing-model": "fixed"}).status_code
        == 403
    )


@pytest.mark.parametrize("who", ["member", "client_user"])
def test_the_team_and_the_client_see_no_revenue_anywhere(client, alpha, users, who):
    client.force_login(users[who])
    assert client.get(_budget()).status_code == 404
    assert client.get(reverse("projects:client_account", args=[alpha.client_id])).status_code == 404
    assert (
        client.post(reverse("projects:billing_settings", args=["ALPHA-1"]), {"billing-model": "fixed"}).status_code
        == 404
    )
    for page in (reverse("projects:detail", args=["ALPHA-1"]), reverse("portal:project", args=["ALPHA-1"])):
        response = client.get(page)
        if response.status_code == 200:
            text = _text(response)
            assert "£1,990" not in text
            assert "36.5%" not in text
            assert "Revenue and margin" not in text


def test_a_retainer_shows_this_months_hours(client, world, pm):
    """A retainer of 2,000.00 a month for 10 h from 1 Feb 2026, unused hours rolling over one month, no overage
    rate. Mo logs 6 h in February (4 h roll over) and 16 h in March: 4 rolled in + 10 of March's = 14, so 2 h of
    overage that earns nothing. Revenue 2 x 2,000.00 = 4,000.00."""
    project = world["alpha_project"]
    Project.objects.filter(pk=project.pk).update(start_date=dt.date(2026, 2, 1), end_date=dt.date(2026, 7, 31))
    project.refresh_from_db()
    mo = project.team_members.get()
    member_rate_set(member=mo, cost_rate=D("50.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1))
    time_entry_record(member=mo, project=project, date=dt.date(2026, 2, 12), hours=D("6"))
    time_entry_record(member=mo, project=project, date=dt.date(2026, 3, 12), hours=D("8"))
    time_entry_record(member=mo, project=project, date=dt.date(2026, 3, 13), hours=D("8"))
    TimeEntry.objects.filter(project=project).update(approval=Approval.APPROVED)
    figures.refresh([project.pk])  # an update sends no signal
    services.project_billing_set(
        actor=pm,
        project=project,
        model=BillingModel.RETAINER,
        retainer_fee=D("2000"),
        retainer_hours=D("10"),
        rollover_months=1,
    )
    client.force_login(pm)
    section = _section(client.get(_budget()))
    assert (
        "£2,000 a month for 10 h, unused hours roll over for 1 month; overage earns nothing (no overage rate)"
        in section
    )
    retainer = section.split("Retainer, Mar 2026", 1)[1].split("Month by month", 1)[0]
    assert "10 h 4 h 16 h 2 h 0 h" in re.sub(r"\s+", " ", retainer)  # allowance, rolled in, used, overage, balance
    assert "2 h of overage beyond the retainer's hours earn nothing: set an overage rate below" in section
    assert "£12,000" in section  # six months' fees: the contract value
    assert "£4,000" in section  # revenue to date


# --- Billing terms and milestones -----------------------------------------------------------------------------------


def _post_billing(client, **fields):
    return client.post(
        reverse("projects:billing_settings", args=["ALPHA-1"]), {f"billing-{k}": v for k, v in fields.items()}
    )


def test_the_pm_sets_a_fixed_price_and_the_change_is_in_the_budget_history(client, alpha, pm):
    client.force_login(pm)
    response = _post_billing(client, model="fixed", price="12000", recognition="milestones", not_to_exceed="99")
    assert response.status_code == 302
    assert response.url.endswith("/budget/#revenue")
    billing = ProjectBilling.objects.get(project=alpha)
    assert (billing.model, billing.contract_value, billing.expense_markup_percent) == ("fixed", D("12000.00"), D("0"))
    event = BudgetEvent.objects.filter(project=alpha, action="billing_set").first()
    assert event.actor == pm
    assert event.detail["contract_value"] == "12000.00"
    section = _section(client.get(_budget()))
    assert "a price of £12,000, revenue recognised as billing milestones fall due" in section
    assert "No billing milestones yet: nothing is recognised until one falls due." in section


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"model": "fixed"}, "Enter the price."),
        ({"model": "fixed", "price": "-5"}, "Enter an amount above zero."),
        ({"model": "retainer", "retainer_fee": "2000"}, "Enter the hours a month."),
        ({"model": "tm", "expense_markup_percent": "150"}, "Ensure this value is less than or equal to 100."),
        ({"model": "tm", "not_to_exceed": "1e309"}, "Enter an amount of at most 1,000,000,000,000."),
        ({"model": "tm", "not_to_exceed": "NaN"}, "Enter a number."),
        (
            {"model": "retainer", "retainer_fee": "1", "retainer_hours": "10", "rollover_months": "99"},
            "less than or equal to 24",
        ),
        ({"model": "barter"}, "Select a valid choice."),
    ],
)
def test_it_refuses_a_billing_that_makes_no_sense_and_changes_nothing(client, alpha, pm, fields, said):
    before = list(ProjectBilling.objects.filter(project=alpha).values())
    client.force_login(pm)
    response = _post_billing(client, **fields)
    assert response.status_code == 302
    text = _text(client.get(response.url))
    assert "Billing not saved." in text
    assert said in text
    assert list(ProjectBilling.objects.filter(project=alpha).values()) == before


@pytest.fixture
def fixed(alpha, pm):
    """ALPHA-1 at a fixed price of 12,000.00 recognised by milestones; its deliverable "Design" not yet accepted."""
    services.project_billing_set(actor=pm, project=alpha, model=BillingModel.FIXED_PRICE, contract_value=D("12000"))
    factories.DeliverableFactory(project=alpha, name="Design", due_date=dt.date(2026, 4, 30))
    return alpha


def _post_milestone(client, **fields):
    return client.post(
        reverse("projects:billing_milestone_add", args=["ALPHA-1"]), {f"milestone-{k}": v for k, v in fields.items()}
    )


def test_the_pm_adds_milestones_that_fall_due_on_a_date_or_on_acceptance(client, fixed, pm):
    """5,000.00 on the design's acceptance and 7,000.00 on 15 Mar: on 31 Mar 7,000.00 is recognised; the price
    12,000.00 against EAC 6,350.00 forecasts 5,650.00 (47.1 %), at or above the 40 % target."""
    client.force_login(pm)
    design = fixed.deliverables.get()
    assert _post_milestone(client, name="Design accepted", amount="5000", deliverable=design.pk).status_code == 302
    assert _post_milestone(client, name="Launch", amount="7000", due_on="2026-03-15").status_code == 302
    section = _section(client.get(_budget()))
    assert "Design accepted £5,000: waiting for acceptance of Design" in section
    assert "Launch £7,000: fell due on 15 Mar 2026" in section
    assert "£12,000 in milestones of a price of £12,000" in section
    assert "£7,000" in section.split("Revenue to date", 1)[1][:40]
    assert "47.1%" in section
    assert "forecast at or above it" in section
    assert not MarginAlert.objects.filter(project=fixed, closed_at__isnull=True).exists()  # closed by the check
    design.status, design.signed_off_at = DeliverableStatus.ACCEPTED, timezone.now()
    design.save()
    assert "Design accepted £5,000: fell due on 31 Mar 2026" in _section(client.get(_budget()))


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {"name": "Extra", "amount": "1000", "due_on": "2026-05-01"},
            "would add up to £13,000.00, more than the price of £12,000.00",
        ),
        ({"name": "Both", "amount": "10", "due_on": "2026-05-01", "deliverable": "DESIGN"}, "choose one of the two"),
        ({"name": "Neither", "amount": "10"}, "choose one of the two"),
        ({"name": "Theirs", "amount": "10", "deliverable": "OTHER"}, "Choose one of this project's deliverables."),
        ({"name": "Free", "amount": "0", "due_on": "2026-05-01"}, "Enter an amount above zero."),
        ({"name": "Old", "amount": "10", "due_on": "1066-10-14"}, "Enter a date from"),
        ({"name": " ", "amount": "10", "due_on": "2026-05-01"}, "This field is required."),
    ],
)
def test_it_refuses_a_milestone_that_cannot_be_and_adds_nothing(client, fixed, pm, world, fields, said):
    client.force_login(pm)
    assert _post_milestone(client, name="Launch", amount="12000", due_on="2026-03-15").status_code == 302
    other = factories.DeliverableFactory(project=world["beta_project"], name="Theirs")
    ids = {"DESIGN": str(fixed.deliverables.get().pk), "OTHER": str(other.pk)}
    if "deliverable" in fields:
        fields = {**fields, "deliverable": ids[fields["deliverable"]]}
    response = _post_milestone(client, **fields)
    text = _text(client.get(response.url))
    assert "Milestone not added." in text
    assert said in text
    assert BillingMilestone.objects.filter(project=fixed).count() == 1


def test_milestones_are_for_fixed_price_projects_only(client, alpha, pm):
    client.force_login(pm)
    response = _post_milestone(client, name="Launch", amount="10", due_on="2026-05-01")
    assert "Billing milestones are for fixed-price projects" in _text(client.get(response.url))
    assert not BillingMilestone.objects.exists()


def test_the_pm_removes_a_milestone_and_a_head_may_not(client, fixed, pm, head, world):
    launch = BillingMilestone.objects.create(
        project=fixed, name="Launch", amount=D("7000"), due_on=dt.date(2026, 3, 15)
    )
    url = reverse("projects:billing_milestone_remove", args=["ALPHA-1", launch.pk])
    client.force_login(head)
    assert client.post(url).status_code == 403
    elsewhere = BillingMilestone.objects.create(
        project=world["beta_project"], name="Theirs", amount=D("1"), due_on=dt.date(2026, 3, 1)
    )
    client.force_login(pm)
    assert client.post(reverse("projects:billing_milestone_remove", args=["ALPHA-1", elsewhere.pk])).status_code == 404
    assert client.post(url).status_code == 302
    assert list(BillingMilestone.objects.values_list("name", flat=True)) == ["Theirs"]
    assert BudgetEvent.objects.filter(project=fixed, action="billing_milestone_removed", actor=pm).exists()


# --- The client's account page --------------------------------------------------------------------------------------


def _account(client_pk: int, **query) -> str:
    return reverse("projects:client_account", args=[client_pk])


@pytest.fixture
def acme(alpha, world, pm, outside_head):
    """Acme's other projects: ALPHA-2 in EUR, a retainer of 2,000.00 a month for 10 h from 1 Mar to 31 May 2026
    (contract value 6,000.00) with overage at 150.00 an hour, budget 4,000.00; Eve (cost 50.00 EUR an hour)
    logs 12 h on 5 Mar: 2 h over, 300.00. Revenue 2,300.00 EUR, cost 600.00, margin 1,700.00 (73.9 %); nothing
    reported complete, so EAC = 600 + 4,000 = 4,600.00 and the forecast 6,000 - 4,600 = 1,400.00 (23.3 %).
    BETA-2 (GBP) in BETA: ALPHA's head does not see it, BETA's head does. 1 EUR = 0.8612 GBP on 31 Mar.
    """
    acme = world["acme"]
    alpha2 = factories.ProjectFactory(
        code="ALPHA-2",
        name="Alpha Retainer",
        client=acme,
        departments=[world["alpha"]],
        currency="EUR",
        bac=D("4000"),
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 5, 31),
        project_manager=pm,
    )
    eve = factories.TeamMemberFactory(name="Eve Euro", department=world["alpha"])
    alpha2.team_members.add(eve)
    member_rate_set(member=eve, cost_rate=D("50.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1), currency="EUR")
    time_entry_record(member=eve, project=alpha2, date=dt.date(2026, 3, 5), hours=D("12"))
    TimeEntry.objects.filter(project=alpha2).update(approval=Approval.APPROVED)
    figures.refresh([alpha2.pk])  # an update sends no signal
    services.project_billing_set(
        actor=pm,
        project=alpha2,
        model=BillingModel.RETAINER,
        retainer_fee=D("2000"),
        retainer_hours=D("10"),
        overage_rate=D("150"),
    )
    factories.ProjectFactory(code="BETA-2", name="Beta for Acme", client=acme, departments=[world["beta"]])
    ExchangeRate.objects.create(date=MARCH_31, currency="GBP", rate=D("0.8612"), source="test figures")
    return acme


def test_a_head_sees_the_accounts_projects_of_their_department_with_totals_in_gbp(client, acme, head):
    """In GBP at 0.8612 GBP per EUR: revenue 1,990.00 + 2,300 x 0.8612 = 1,990.00 + 1,980.76 = 3,970.76; cost
    1,270.00 + 516.72 = 1,786.72; margin 2,184.04 (55.0 %). Forecast: 10,000.00 + 5,167.20 = 15,167.20 against
    6,350.00 + 3,961.52 = 10,311.52: 4,855.68 (32.0 %)."""
    client.force_login(head)
    response = client.get(_account(acme.pk), {"currency": "GBP", "on": "2026-03-31"})
    assert response.status_code == 200
    text = _text(response)
    assert "Account Acme" in text
    assert "of the 2 projects of Acme whose margin you may see" in text
    assert "BETA-2" not in text
    rows = text.split("Retainer balance", 1)[1].split("Projects marked", 1)[0]
    assert "ALPHA-1 Alpha Project Time and materials £10,000 £1,990 £1,270 36.2% 36.5% below target —" in rows
    assert "ALPHA-2 Alpha Retainer Retainer €6,000 €2,300 €600 86.3%" not in rows
    assert "ALPHA-2 Alpha Retainer Retainer €6,000 €2,300 €600 73.9% 23.3% below target 0 h (2 h over)" in rows
    totals = text.split("Totals", 1)[1].split("Month by month", 1)[0]
    assert "GBP (1 project) £1,990 £1,270 £720 (36.2%) £3,650 (36.5%)" in totals
    assert "EUR (1 project) €2,300 €600 €1,700 (73.9%) €1,400 (23.3%)" in totals
    assert "In GBP £3,971 £1,787 £2,184 (55.0%) £4,856 (32.0%)" in totals
    assert "EUR at 0.8612 of Tue 31 Mar 2026" in totals
    months = text.split("Month by month", 1)[1]
    assert "In EUR" in months
    assert "Mar 2026 €2,300 €600 €1,700 73.9%" in months
    assert "Margin target (%)" not in text  # administrators set it


def test_the_accounts_projects_are_those_whose_margin_each_user_may_see(client, acme, users, world):
    seen = {}
    for who in ("admin", "head", "outside_head", "pm", "member", "client_user", "other_client_user"):
        client.force_login(users[who])
        response = client.get(_account(acme.pk))
        seen[who] = (
            sorted(set(re.findall(r"\b(ALPHA-\d|BETA-\d)\b", _text(response)))) if response.status_code == 200 else 404
        )
    assert seen == {
        "admin": ["ALPHA-1", "ALPHA-2", "BETA-2"],
        "head": ["ALPHA-1", "ALPHA-2"],
        "outside_head": ["ALPHA-1", "BETA-2"],  # a reporting head of ALPHA-1, BETA's head
        "pm": ["ALPHA-1", "ALPHA-2"],
        "member": 404,
        "client_user": 404,
        "other_client_user": 404,
    }
    client.force_login(users["head"])
    assert client.get(_account(world["globex"].pk)).status_code == 404  # none of Globex's projects is theirs
    assert client.get("/projects/clients/99999999999999999999999/").status_code == 404


def test_an_administrator_sets_the_margin_target_and_the_alerts_follow(client, acme, admin_user, head, alpha):
    """At 30 % ALPHA-1's forecast of 36.5 % is above the target: its alert closes; ALPHA-2's 23.3 % stays under."""
    url = reverse("projects:client_target", args=[acme.pk])
    client.force_login(head)
    assert client.post(url, {"target-margin_target_percent": "30"}).status_code == 403
    client.force_login(admin_user)
    assert "Margin target (%)" in _text(client.get(_account(acme.pk)))
    response = client.post(url, {"target-margin_target_percent": "30"})
    assert response.status_code == 302
    assert "Acme's margin target is 30%." in _text(client.get(response.url))
    acme.refresh_from_db()
    assert acme.margin_target_percent == D("30")
    assert not MarginAlert.objects.filter(project=alpha, closed_at__isnull=True).exists()
    assert MarginAlert.objects.filter(project__code="ALPHA-2", closed_at__isnull=True).exists()
    for junk, said in (
        ("101", "A margin target runs from 0 to 100 %."),
        ("-1", "A margin target runs from 0 to 100 %."),
        ("abc", "Enter a number."),
    ):
        response = client.post(url, {"target-margin_target_percent": junk})
        assert said in _text(client.get(response.url))
    acme.refresh_from_db()
    assert acme.margin_target_percent == D("30")
    client.post(url, {"target-margin_target_percent": ""})
    acme.refresh_from_db()
    assert acme.margin_target_percent is None


@pytest.mark.parametrize("more", [0, 5])
def test_the_account_page_reads_a_fixed_number_of_queries(client, world, head, pm, more, django_assert_num_queries):
    """One fixed-price project recognised by percent complete (its milestones and progress read), then five more:
    fixed price, time and materials, retainers, each with a percent complete. Same queries."""
    acme = world["acme"]
    first = world["alpha_project"]
    services.project_billing_set(actor=pm, project=first, model=BillingModel.FIXED_PRICE, contract_value=D("5000"))
    BillingMilestone.objects.create(project=first, name="Go", amount=D("5000"), due_on=dt.date(2026, 3, 1))
    for n in range(more):
        project = factories.ProjectFactory(
            code=f"ACME-{n}", client=acme, departments=[world["alpha"]], project_manager=pm
        )
        StatusUpdate.objects.create(project=project, as_of=MARCH_31, percent_complete=D("10"))
        if n % 2:
            services.project_billing_set(
                actor=pm, project=project, model=BillingModel.RETAINER, retainer_fee=D("100"), retainer_hours=D("1")
            )
        if n == 0:
            services.project_billing_set(
                actor=pm,
                project=project,
                model=BillingModel.FIXED_PRICE,
                contract_value=D("100"),
                recognition="percent",
            )
    if not more:  # the one project is read as the several are: its milestones and its percent complete
        StatusUpdate.objects.create(project=first, as_of=MARCH_31, percent_complete=D("10"))
        ProjectBilling.objects.filter(project=first).update(recognition="percent")
    client.force_login(head)
    # session, user; the projects with their costs, time, expenses, milestones, percent complete; cost by month
    # (time, expenses); no exchange rate (all in GBP)
    with django_assert_num_queries(9):
        response = client.get(_account(acme.pk))
    assert response.status_code == 200
    assert len(re.findall(r'class="project-code"', response.content.decode())) == 1 + more


# --- The department table -------------------------------------------------------------------------------------------


def test_the_department_table_shows_margin_and_groups_by_client(client, acme, head, world):
    url = reverse("projects:department_budget", args=["ALPHA"])
    client.force_login(head)
    text = _text(client.get(url, {"as_of": "2026-03-31", "currency": "GBP", "on": "2026-03-31"}))
    assert "Revenue to date Margin Forecast margin" in text
    assert "£1,990 36.2% 36.5% below 40%" in text
    assert "€2,300 73.9% 23.3% below 40%" in text
    grouped = client.get(url, {"as_of": "2026-03-31", "sort": "client"})
    body = grouped.content.decode()
    assert body.count('scope="rowgroup"') == 1  # both rows are Acme's: one group
    assert f'href="{reverse("projects:client_account", args=[acme.pk])}">Acme</a>' in body


def test_the_department_total_covers_every_page(client, alpha, head, world):
    """ALPHA-1 (BAC 10,000.00, AC 1,270.00, EAC 6,350.00) and 55 more open projects of 1,000.00 each, nothing
    spent (EAC = BAC): two pages of 50, one total on both: BAC 65,000.00, AC 1,270.00, EAC 61,350.00."""
    for n in range(55):
        factories.ProjectFactory(code=f"ZZ-{n:02d}", client=world["acme"], departments=[world["alpha"]], bac=D("1000"))
    client.force_login(head)
    url = reverse("projects:department_budget", args=["ALPHA"])
    for page in ("1", "2"):
        response = client.get(url, {"as_of": "2026-03-31", "page": page})
        footer = re.sub(r"\s+", " ", response.content.decode().split("<tfoot>")[1].split("</tfoot>")[0])
        assert "Total in GBP, all 56 projects" in footer
        assert '<td class="num">£65,000</td>' in footer
        assert '<td class="num d-none d-md-table-cell">£1,270</td>' in footer
        assert '<td class="num">£61,350</td>' in footer
        assert "The total adds up all 56 projects of the open filter, on every page, not only the" in _text(response)
