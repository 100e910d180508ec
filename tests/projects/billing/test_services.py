"""Rate card writes: only administrators, never both a client and a project, a project's rates in its currency,
no overlap within a series, and a change that starts while the rate it changes is valid."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.billing import services
from projects.models import BillingMilestone, BillRate, BudgetEvent, Client, MarginAlert, ProjectBilling
from tests import factories

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def designer():
    return factories.JobRoleFactory(title="Designer")


def test_it_refuses_anyone_but_an_administrator(users, designer):
    for who in ("head", "pm", "member", "client_user"):
        with pytest.raises(Refused, match=re.escape("Only administrators keep the rate cards.")):
            services.bill_rate_add(
                actor=users[who], job_role=designer, rate=D("95"), currency="GBP", valid_from=dt.date(2026, 1, 1)
            )
    card = factories.BillRateFactory(job_role=designer)
    with pytest.raises(Refused, match="Only administrators"):
        services.bill_rate_change(actor=users["pm"], bill_rate=card, rate=D("99"), valid_from=dt.date(2026, 5, 1))
    assert BillRate.objects.count() == 1


def test_it_refuses_a_client_and_a_project_at_once_and_a_project_rate_in_another_currency(admin_user, world, designer):
    with pytest.raises(Refused, match="for a client or for a project, not both"):
        services.bill_rate_add(
            actor=admin_user,
            job_role=designer,
            rate=D("95"),
            currency="GBP",
            valid_from=dt.date(2026, 1, 1),
            client=world["acme"],
            project=world["alpha_project"],
        )
    with pytest.raises(Refused, match=re.escape("ALPHA-1 is billed in GBP: its rates must be in GBP.")):
        services.bill_rate_add(
            actor=admin_user,
            job_role=designer,
            rate=D("95"),
            currency="EUR",
            valid_from=dt.date(2026, 1, 1),
            project=world["alpha_project"],
        )
    assert not BillRate.objects.exists()


def test_it_lets_rates_of_one_series_follow_each_other_but_not_overlap(admin_user, world, designer):
    def add(start, end=None, **scope):
        return services.bill_rate_add(
            actor=admin_user, job_role=designer, rate=D("95"), currency="GBP", valid_from=start, valid_to=end, **scope
        )

    add(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    add(dt.date(2026, 4, 1))  # the next day: no overlap
    with pytest.raises(Refused, match="overlaps 1 Mar 2026 to 1 Mar 2026"):
        add(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    with pytest.raises(
        Refused, match=re.escape("already has a card rate in GBP of 95.00 from 1 Apr 2026 to open-ended")
    ):
        add(dt.date(2027, 1, 1))
    # A client's override is a series of its own: it may cover the card's dates.
    add(dt.date(2026, 1, 1), client=world["acme"])
    with pytest.raises(Refused, match="already has an override for Acme"):
        add(dt.date(2026, 6, 1), client=world["acme"])
    assert BillRate.objects.count() == 3


def test_it_changes_a_rate_only_from_a_day_it_is_valid_and_keeps_its_end(admin_user, designer):
    card = factories.BillRateFactory(
        job_role=designer, rate=D("100"), valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31)
    )
    with pytest.raises(Refused, match="ended on 31 Dec 2026"):
        services.bill_rate_change(actor=admin_user, bill_rate=card, rate=D("110"), valid_from=dt.date(2027, 1, 1))
    with pytest.raises(Refused, match=re.escape("already 100.00 GBP")):
        services.bill_rate_change(actor=admin_user, bill_rate=card, rate=D("100"), valid_from=dt.date(2026, 7, 1))
    new = services.bill_rate_change(actor=admin_user, bill_rate=card, rate=D("110"), valid_from=dt.date(2026, 7, 1))
    card.refresh_from_db()
    assert (card.valid_from, card.valid_to) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert (new.rate, new.valid_from, new.valid_to) == (D("110"), dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    # The old row, changed since the page was loaded, is read again: a change from a day it no longer covers.
    with pytest.raises(Refused, match="ended on 30 Jun 2026"):
        services.bill_rate_change(actor=admin_user, bill_rate=card, rate=D("120"), valid_from=dt.date(2026, 8, 1))


# --- A project's billing, its milestones, a client's margin target ------------------------------------------------


@pytest.fixture
def alpha(world):
    """ALPHA-1 (GBP, budget 10,000.00, nothing spent: EAC = BAC) for Acme."""
    project = world["alpha_project"]
    project.bac = D("10000.00")
    project.save(update_fields=["bac"])
    return project


def test_it_lets_only_the_pm_and_administrators_set_the_billing(users, alpha):
    for who in ("head", "outside_head", "member", "client_user"):
        with pytest.raises(Refused, match="Only the project manager or an administrator"):
            services.project_billing_set(actor=users[who], project=alpha, model="fixed", contract_value=D("12000"))
    assert not ProjectBilling.objects.exists()
    for who in ("pm", "admin"):
        services.project_billing_set(actor=users[who], project=alpha, model="fixed", contract_value=D("12000"))
    assert ProjectBilling.objects.get().contract_value == D("12000.00")


@pytest.mark.parametrize(
    ("terms", "said"),
    [
        ({"model": "fixed"}, "Enter the price."),
        ({"model": "fixed", "contract_value": D("0")}, "Enter the price above zero."),
        ({"model": "fixed", "contract_value": D("-1")}, "Enter the price above zero."),
        ({"model": "fixed", "contract_value": D("NaN")}, "Enter the price above zero."),
        ({"model": "fixed", "contract_value": D("1e13")}, "Enter the price of at most 1,000,000,000,000."),
        ({"model": "fixed", "contract_value": D("1"), "recognition": "vibes"}, "Choose when revenue is recognised"),
        ({"model": "retainer", "retainer_hours": D("10")}, "Enter the monthly fee."),
        ({"model": "retainer", "retainer_fee": D("2000")}, "Enter the hours a month."),
        ({"model": "retainer", "retainer_fee": D("2000"), "retainer_hours": D("10001")}, "at most 10,000"),
        (
            {"model": "retainer", "retainer_fee": D("1"), "retainer_hours": D("1"), "rollover_months": 25},
            "roll over for 0 to 24 months",
        ),
        ({"model": "tm", "expense_markup_percent": D("-1")}, "An expense markup runs from 0 to 100 %."),
        ({"model": "tm", "expense_markup_percent": D("101")}, "An expense markup runs from 0 to 100 %."),
        ({"model": "tm", "contract_value": D("10.001")}, "Ensure that there are no more than 2 decimal places."),
        ({"model": "barter"}, "Choose how the project bills"),
    ],
)
def test_it_refuses_billing_terms_that_make_no_sense(pm, alpha, terms, said):
    with pytest.raises(Refused, match=re.escape(said)):
        services.project_billing_set(actor=pm, project=alpha, **terms)
    assert not ProjectBilling.objects.exists()
    assert not BudgetEvent.objects.filter(action="billing_set").exists()


def test_it_keeps_only_the_chosen_models_terms_and_records_them(pm, alpha):
    services.project_billing_set(
        actor=pm,
        project=alpha,
        model="retainer",
        retainer_fee=D("2000"),
        retainer_hours=D("10"),
        rollover_months=2,
        overage_rate=D("150"),
        contract_value=D("99"),  # not a retainer's term: not kept
        expense_markup_percent=D("15"),
    )
    billing = ProjectBilling.objects.get()
    assert (billing.contract_value, billing.expense_markup_percent, billing.overage_rate) == (None, 0, D("150.00"))
    services.project_billing_set(actor=pm, project=alpha, model="tm", contract_value=D("8000"))
    billing.refresh_from_db()
    assert (billing.model, billing.contract_value, billing.retainer_fee, billing.rollover_months) == (
        "tm",
        D("8000.00"),
        None,
        0,
    )
    first, second = BudgetEvent.objects.filter(action="billing_set").order_by("pk")
    assert first.detail == {
        "model": "retainer",
        "retainer_fee": "2000.00",
        "retainer_hours": "10.00",
        "rollover_months": 2,
        "overage_rate": "150.00",
    }
    assert second.detail == {"model": "tm", "contract_value": "8000.00", "expense_markup_percent": "0"}


def test_a_fixed_price_under_the_target_raises_a_margin_alert_and_a_better_price_closes_it(pm, alpha, world):
    """Acme's target 25 %. EAC = BAC = 10,000.00 (nothing spent). A price of 12,000.00 forecasts 2,000.00,
    16.7 %: under 25 %, an alert. 14,000.00 forecasts 4,000.00, 28.6 %: the alert closes."""
    Client.objects.filter(pk=world["acme"].pk).update(margin_target_percent=D("25"))
    services.project_billing_set(actor=pm, project=alpha, model="fixed", contract_value=D("12000"))
    alert = MarginAlert.objects.get(project=alpha)
    assert (alert.forecast_percent, alert.target_percent, alert.closed_at) == (D("16.70"), D("25.00"), None)
    services.project_billing_set(actor=pm, project=alpha, model="fixed", contract_value=D("14000"))
    alert.refresh_from_db()
    assert alert.closed_at is not None


def test_milestones_add_up_to_the_price_at_most_and_fall_due_once(pm, alpha, world):
    services.project_billing_set(actor=pm, project=alpha, model="fixed", contract_value=D("12000"))
    design = factories.DeliverableFactory(project=alpha, name="Design")
    first = services.billing_milestone_add(
        actor=pm, project=alpha, name="  Design accepted ", amount=D("5000"), deliverable=design
    )
    assert first.name == "Design accepted"
    services.billing_milestone_add(actor=pm, project=alpha, name="Launch", amount=D("7000"), due_on=dt.date(2026, 5, 1))
    with pytest.raises(Refused, match=re.escape("would add up to £12,000.01, more than the price of £12,000.00")):
        services.billing_milestone_add(
            actor=pm, project=alpha, name="Penny", amount=D("0.01"), due_on=dt.date(2026, 5, 1)
        )
    theirs = factories.DeliverableFactory(project=world["beta_project"])
    for kwargs, said in (
        ({"deliverable": theirs}, "not one of this project's"),
        ({}, "choose one of the two"),
        ({"deliverable": design, "due_on": dt.date(2026, 5, 1)}, "choose one of the two"),
        ({"due_on": dt.date(1800, 1, 1)}, "Dates run from"),
    ):
        with pytest.raises(Refused, match=re.escape(said)):
            services.billing_milestone_add(actor=pm, project=alpha, name="X", amount=D("1"), **kwargs)
    with pytest.raises(Refused, match="Name the milestone"):
        services.billing_milestone_add(actor=pm, project=alpha, name=" ", amount=D("1"), due_on=dt.date(2026, 5, 1))
    assert BillingMilestone.objects.count() == 2
    added = BudgetEvent.objects.filter(action="billing_milestone_added").order_by("pk")
    assert list(added.values_list("detail", flat=True)) == [
        {"milestone": "Design accepted", "milestone_amount": "5000.00", "falls_due": "Design"},
        {"milestone": "Launch", "milestone_amount": "7000.00", "falls_due": "2026-05-01"},
    ]


def test_only_the_pm_and_administrators_add_or_remove_milestones(users, pm, alpha):
    services.project_billing_set(actor=pm, project=alpha, model="fixed", contract_value=D("12000"))
    launch = BillingMilestone.objects.create(project=alpha, name="Launch", amount=D("1"), due_on=dt.date(2026, 5, 1))
    for who in ("head", "outside_head", "member"):
        with pytest.raises(Refused, match="Only the project manager"):
            services.billing_milestone_add(
                actor=users[who], project=alpha, name="X", amount=D("1"), due_on=dt.date(2026, 5, 1)
            )
        with pytest.raises(Refused, match="Only the project manager"):
            services.billing_milestone_remove(actor=users[who], milestone=launch)
    services.billing_milestone_remove(actor=users["admin"], milestone=launch)
    assert not BillingMilestone.objects.exists()
    with pytest.raises(Refused, match="removed meanwhile"):
        services.billing_milestone_remove(actor=pm, milestone=launch)


def test_a_client_target_is_an_administrators_from_0_to_100(users, world):
    acme = world["acme"]
    for who in ("head", "pm"):
        with pytest.raises(Refused, match=re.escape("Only administrators set a client's margin target.")):
            services.client_margin_target_set(actor=users[who], client=acme, target_percent=D("30"))
    for junk in (D("-0.01"), D("100.01"), D("NaN"), D("Infinity")):
        with pytest.raises(Refused, match=re.escape("A margin target runs from 0 to 100 %.")):
            services.client_margin_target_set(actor=users["admin"], client=acme, target_percent=junk)
    acme.refresh_from_db()
    assert acme.margin_target_percent is None
    services.client_margin_target_set(actor=users["admin"], client=acme, target_percent=D("100"))
    acme.refresh_from_db()
    assert acme.margin_target_percent == D("100")


def test_a_client_target_checks_every_open_project_of_the_client(admin_user, pm, alpha, world):
    """ALPHA-1 at a fixed price of 12,000.00 forecasts 16.7 %; ACME-OLD (closed) is not checked. At 20 % ALPHA-1
    is under: one alert; at 15 % it closes."""
    services.project_billing_set(actor=pm, project=alpha, model="fixed", contract_value=D("12000"))
    old = factories.ProjectFactory(code="ACME-OLD", client=world["acme"], status="closed", bac=D("10"))
    ProjectBilling.objects.create(project=old, model="fixed", contract_value=D("1"))
    services.client_margin_target_set(actor=admin_user, client=world["acme"], target_percent=D("20"))
    assert list(MarginAlert.objects.values_list("project__code", "closed_at")) == [("ALPHA-1", None)]
    services.client_margin_target_set(actor=admin_user, client=world["acme"], target_percent=D("15"))
    assert MarginAlert.objects.get().closed_at is not None
