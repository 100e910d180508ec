"""Rate card writes: only administrators, never both a client and a project, a project's rates in its currency,
no overlap within a series, and a change that starts while the rate it changes is valid."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.billing import services
from projects.models import BillRate
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
