"""Bill rates on time entries: which rate an hour takes (project > client > role's card > the person's own), in
the project's currency, stored on the entry when it is logged so that a later change never rewrites it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.billing import services
from projects.billing.rates import RateQuestion, bill_rate_resolve, bill_rates_resolve, member_rates_on
from projects.budget.services import costs
from projects.models import RateSource, TimeEntry
from teams.services import member_rate_set
from tests import factories

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def designer():
    return factories.JobRoleFactory(title="Designer")


@pytest.fixture
def project(world):
    """ALPHA-1, billed in GBP, for the client Acme."""
    return world["alpha_project"]


@pytest.fixture
def mo(project, designer):
    """Mo, a designer on ALPHA-1: cost £50 and own bill rate £90 an hour from 1 Jan 2026."""
    person = project.team_members.get()
    person.job_role = designer
    person.save(update_fields=["job_role"])
    member_rate_set(member=person, cost_rate=D("50.00"), bill_rate=D("90.00"), valid_from=dt.date(2026, 1, 1))
    return person


def _log(member, project, day, hours="7.5", **extra):
    return costs.time_entry_record(member=member, project=project, date=day, hours=D(hours), **extra)


def test_it_takes_the_most_specific_rate_project_then_client_then_card_then_the_persons_own(
    project, mo, designer, world, admin_user
):
    # Nothing on the cards yet: Mo's own bill rate, £90 an hour; 7.5 h bill £675.00.
    own = _log(mo, project, dt.date(2026, 3, 2))
    assert (own.bill_rate, own.bill_rate_source) == (D("90.00"), RateSource.PERSON)
    assert own.hours * own.bill_rate == D("675.00")

    # The designer's card, £100: it wins over the person's own rate. 7.5 h bill £750.00.
    factories.BillRateFactory(job_role=designer, rate=D("100.00"), valid_from=dt.date(2026, 1, 1))
    card = _log(mo, project, dt.date(2026, 3, 3))
    assert (card.bill_rate, card.bill_rate_source) == (D("100.00"), RateSource.ROLE)
    assert card.hours * card.bill_rate == D("750.00")

    # Acme agreed £110 for designers: it wins over the card on Acme's projects. 7.5 h bill £825.00.
    factories.BillRateFactory(job_role=designer, client=world["acme"], rate=D("110.00"), valid_from=dt.date(2026, 1, 1))
    client = _log(mo, project, dt.date(2026, 3, 4))
    assert (client.bill_rate, client.bill_rate_source) == (D("110.00"), RateSource.CLIENT)
    assert client.hours * client.bill_rate == D("825.00")

    # ALPHA-1 itself has £120: it wins over Acme's. 7.5 h bill £900.00.
    factories.BillRateFactory(job_role=designer, project=project, rate=D("120.00"), valid_from=dt.date(2026, 1, 1))
    pinned = _log(mo, project, dt.date(2026, 3, 5))
    assert (pinned.bill_rate, pinned.bill_rate_source) == (D("120.00"), RateSource.PROJECT)
    assert pinned.hours * pinned.bill_rate == D("900.00")

    # Globex's BETA-1 has neither override: the card's £100. Acme's and ALPHA-1's rates stay theirs.
    beta = bill_rate_resolve(member=mo, project=world["beta_project"], on=dt.date(2026, 3, 5), own=None)
    assert (beta.rate, beta.source) == (D("100.00"), RateSource.ROLE)

    # What each entry stored is what it was logged at: £675 + £750 + £825 + £900 = £3,150.00 for 30 h.
    stored = TimeEntry.objects.filter(member=mo).order_by("date")
    assert [(e.bill_rate, e.bill_rate_source) for e in stored] == [
        (D("90.00"), "person"),
        (D("100.00"), "role"),
        (D("110.00"), "client"),
        (D("120.00"), "project"),
    ]
    assert sum(e.hours * e.bill_rate for e in stored) == D("3150.00")


def test_it_bills_a_mid_month_change_from_its_date_and_never_rewrites_an_entry_stored(
    project, mo, designer, admin_user
):
    card = factories.BillRateFactory(job_role=designer, rate=D("100.00"), valid_from=dt.date(2026, 1, 1))
    # From 15 March designers bill £105: the card of 1 January ends on 14 March.
    raised = services.bill_rate_change(
        actor=admin_user, bill_rate=card, rate=D("105.00"), valid_from=dt.date(2026, 3, 15)
    )
    card.refresh_from_db()
    assert card.valid_to == dt.date(2026, 3, 14)
    assert (raised.valid_from, raised.valid_to) == (dt.date(2026, 3, 15), None)

    before = _log(mo, project, dt.date(2026, 3, 14), hours="8")  # 8 h at £100 = £800.00
    after = _log(mo, project, dt.date(2026, 3, 16), hours="8")  # 8 h at £105 = £840.00
    assert (before.bill_rate, after.bill_rate) == (D("100.00"), D("105.00"))
    assert (before.hours * before.bill_rate, after.hours * after.bill_rate) == (D("800.00"), D("840.00"))

    # A later change, from the 16th, to £130: the entry already stored on the 16th keeps its £105 ...
    services.bill_rate_change(actor=admin_user, bill_rate=raised, rate=D("130.00"), valid_from=dt.date(2026, 3, 16))
    after.refresh_from_db()
    before.refresh_from_db()
    assert (before.bill_rate, after.bill_rate) == (D("100.00"), D("105.00"))
    # ... and so do its hours changed later (the rate stored with it); time logged now on the 16th takes £130.
    costs.time_entry_rehour(entry=after, hours=D("6")).save(update_fields=["hours", "cost"])
    after.refresh_from_db()
    assert after.bill_rate == D("105.00")
    late = _log(mo, project, dt.date(2026, 3, 16), hours="1")
    assert (late.bill_rate, late.bill_rate_source) == (D("130.00"), RateSource.ROLE)


def test_it_never_takes_a_card_in_another_currency(world, designer):
    # GAMMA-1 is billed in EUR; Eva, a designer, costs €60 and bills €95 an hour of her own.
    gamma = factories.ProjectFactory(code="GAMMA-1", client=world["acme"], currency="EUR")
    eva = factories.TeamMemberFactory(name="Eva", job_role=designer)
    gamma.team_members.add(eva)
    member_rate_set(
        member=eva, cost_rate=D("60.00"), bill_rate=D("95.00"), valid_from=dt.date(2026, 1, 1), currency="EUR"
    )
    # Designers' card and Acme's override are in GBP: neither applies to a euro project (nor is converted).
    factories.BillRateFactory(job_role=designer, rate=D("100.00"), currency="GBP")
    factories.BillRateFactory(job_role=designer, client=world["acme"], rate=D("110.00"), currency="GBP")
    own = _log(eva, gamma, dt.date(2026, 3, 2), hours="4")
    assert (own.bill_rate, own.bill_rate_source, own.currency) == (D("95.00"), RateSource.PERSON, "EUR")
    # A card in euros, €115, is taken: 4 h bill €460.00.
    factories.BillRateFactory(job_role=designer, rate=D("115.00"), currency="EUR")
    card = _log(eva, gamma, dt.date(2026, 3, 3), hours="4")
    assert (card.bill_rate, card.bill_rate_source) == (D("115.00"), RateSource.ROLE)
    assert card.hours * card.bill_rate == D("460.00")


def test_it_stores_no_bill_rate_on_time_that_is_not_billable(project, mo, designer):
    factories.BillRateFactory(job_role=designer, project=project, rate=D("120.00"))
    entry = _log(mo, project, dt.date(2026, 3, 2), billable=False, note="Internal training")
    entry.refresh_from_db()
    assert (entry.billable, entry.bill_rate, entry.bill_rate_source) == (False, None, "")
    assert entry.cost == D("375.00")  # still costed: 7.5 h at £50


def test_it_logs_time_without_any_bill_rate_as_a_visible_gap(project):
    # Mo has no job role, and his own bill rate is 0 (none agreed): no rate applies, and the hour is still logged.
    person = project.team_members.get()
    member_rate_set(member=person, cost_rate=D("50.00"), bill_rate=D("0"), valid_from=dt.date(2026, 1, 1))
    entry = _log(person, project, dt.date(2026, 3, 2), hours="2")
    entry.refresh_from_db()
    assert (entry.billable, entry.bill_rate, entry.bill_rate_source) == (True, None, "")
    assert (entry.hours, entry.cost) == (D("2.00"), D("100.00"))
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


def test_it_takes_a_rate_only_within_its_validity(project, mo, designer):
    factories.BillRateFactory(
        job_role=designer,
        project=project,
        rate=D("120.00"),
        valid_from=dt.date(2026, 3, 1),
        valid_to=dt.date(2026, 3, 31),
    )
    factories.BillRateFactory(job_role=designer, rate=D("100.00"), valid_from=dt.date(2026, 2, 1))
    answers = bill_rates_resolve(
        [
            RateQuestion(member=mo, project=project, on=day, own=None)
            for day in (dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        ]
        + [RateQuestion(member=mo, project=project, on=dt.date(2026, 4, 1), own=None)]
    )
    assert [(a.rate, a.source) for a in answers] == [
        (None, ""),  # before any rate (and no own rate given)
        (D("100.00"), "role"),
        (D("120.00"), "project"),
        (D("120.00"), "project"),  # its last day
        (D("100.00"), "role"),  # the override has ended
    ]


def test_it_resolves_a_batch_in_one_query(project, mo, designer, world, django_assert_num_queries):
    factories.BillRateFactory(job_role=designer, rate=D("100.00"))
    factories.BillRateFactory(job_role=designer, client=world["acme"], rate=D("110.00"))
    days = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(7)]
    questions = [
        RateQuestion(member=mo, project=p, on=day, own=None) for p in (project, world["beta_project"]) for day in days
    ]
    with django_assert_num_queries(1):
        answers = bill_rates_resolve(questions)
    assert [a.rate for a in answers] == [D("110.00")] * 7 + [D("100.00")] * 7
    # Nobody with a job role: no query at all, the person's own rate.
    nobody = factories.TeamMemberFactory(name="No Role")
    with django_assert_num_queries(0):
        (answer,) = bill_rates_resolve([RateQuestion(member=nobody, project=project, on=days[0], own=None)])
    assert (answer.rate, answer.source) == (None, "")


def test_it_costs_a_week_of_entries_in_three_queries_whatever_their_number(
    project, mo, designer, django_assert_num_queries
):
    factories.BillRateFactory(job_role=designer, rate=D("100.00"))
    week = [
        costs.NewTime(project=project, date=dt.date(2026, 3, 2) + dt.timedelta(days=i), hours=D("7.5"))
        for i in range(5)
    ]
    with django_assert_num_queries(3):
        entries = costs.time_entries_costed(member=mo, entries=week)
    assert [(e.bill_rate, e.cost) for e in entries] == [(D("100.00"), D("375.00"))] * 5


def test_it_names_the_entry_a_batch_refuses(project, mo):
    good = costs.NewTime(project=project, date=dt.date(2026, 3, 2), hours=D("2"))
    before_rates = costs.NewTime(project=project, date=dt.date(2025, 12, 31), hours=D("2"))
    with pytest.raises(costs.TimeRefused, match="no cost rate on 31 Dec 2025") as refused:
        costs.time_entries_costed(member=mo, entries=[good, before_rates])
    assert refused.value.entry is before_rates
    assert isinstance(refused.value, Refused)


def test_it_reads_a_persons_rates_over_many_days_in_one_query(mo, django_assert_num_queries):
    member_rate_set(member=mo, cost_rate=D("60.00"), bill_rate=D("95.00"), valid_from=dt.date(2026, 3, 15))
    with django_assert_num_queries(1):
        rates = member_rates_on(
            member_id=mo.pk, days=[dt.date(2025, 12, 31), dt.date(2026, 3, 14), dt.date(2026, 3, 15)]
        )
    assert rates[dt.date(2025, 12, 31)] is None
    assert rates[dt.date(2026, 3, 14)].bill_rate == D("90.00")
    assert rates[dt.date(2026, 3, 15)].bill_rate == D("95.00")
