"""Revenue and margin under each billing model, with worked figures (projects.billing.revenue)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from projects.billing import revenue as r

D = Decimal
MARCH = dt.date(2026, 3, 1)


def test_a_time_and_materials_month_across_a_mid_month_rate_change_with_a_marked_up_expense():
    """8 h on 10 Mar at 95.00 = 760.00; 6 h on 20 Mar at 105.00 (the new rate from the 15th) = 630.00; an
    expense of 200.00 marked up 10 % = 220.00: 1,610.00. Cost 14 h at 55.00 + 200.00 = 970.00: margin 640.00,
    39.8 %. 2 h without a bill rate earn nothing and are counted apart."""
    revenue = r.time_and_materials(
        time=[
            r.BilledTime(dt.date(2026, 3, 10), D("8"), D("760.00")),  # 8 h x 95.00
            r.BilledTime(dt.date(2026, 3, 20), D("6"), D("630.00")),  # 6 h x 105.00
            r.BilledTime(dt.date(2026, 3, 21), D("2"), None),
            r.BilledTime(dt.date(2026, 4, 2), D("5"), D("525.00")),  # after as_of
        ],
        expenses=[r.BilledExpense(dt.date(2026, 3, 18), D("200.00"))],
        markup_percent=D("10"),
        cap=None,
        as_of=dt.date(2026, 3, 31),
    )
    assert revenue.total == D("1610.00")
    assert revenue.by_month == {MARCH: D("1610.00")}
    assert revenue.unpriced_hours == D("2")
    assert r.margin(revenue=revenue.total, cost=D("970.00")) == r.Margin(
        revenue=D("1610.00"), cost=D("970.00"), margin=D("640.00"), percent=D("39.8")
    )


def test_time_and_materials_stops_at_the_not_to_exceed_amount_and_says_what_was_written_off():
    revenue = r.time_and_materials(
        time=[
            r.BilledTime(dt.date(2026, 3, 10), D("10"), D("1000.00")),
            r.BilledTime(dt.date(2026, 4, 10), D("10"), D("1000.00")),
        ],
        expenses=[],
        markup_percent=D("0"),
        cap=D("1500.00"),
        as_of=dt.date(2026, 4, 30),
    )
    assert revenue.total == D("1500.00")
    assert revenue.by_month == {MARCH: D("1000.00"), dt.date(2026, 4, 1): D("500.00")}
    assert revenue.written_off == D("500.00")


def test_a_fixed_price_milestone_falls_due_on_acceptance():
    """Price 30,000.00 in three milestones: design 9,000.00 accepted on 12 Mar; build 15,000.00 due on a
    deliverable not yet accepted; handover 6,000.00 on 30 Apr. By 31 Mar, 9,000.00; cost 7,200.00 gives
    1,800.00, 20.0 %; forecast against an EAC of 26,400.00: 3,600.00, 12.0 %."""
    milestones = [
        r.MilestoneDue(D("9000.00"), dt.date(2026, 3, 12)),
        r.MilestoneDue(D("15000.00"), None),
        r.MilestoneDue(D("6000.00"), dt.date(2026, 4, 30)),
    ]
    revenue = r.fixed_price_milestones(milestones=milestones, as_of=dt.date(2026, 3, 31))
    assert (revenue.total, revenue.by_month) == (D("9000.00"), {MARCH: D("9000.00")})
    assert r.margin(revenue=revenue.total, cost=D("7200.00")).percent == D("20.0")
    forecast = r.margin(revenue=D("30000.00"), cost=D("26400.00"))
    assert (forecast.margin, forecast.percent) == (D("3600.00"), D("12.0"))
    later = r.fixed_price_milestones(milestones=milestones, as_of=dt.date(2026, 4, 30))
    assert later.total == D("15000.00")


def test_fixed_price_by_percent_complete_earns_the_growth_each_month():
    revenue = r.fixed_price_percent(
        price=D("20000.00"),
        progress=[(dt.date(2026, 3, 6), D("10")), (dt.date(2026, 3, 27), D("25")), (dt.date(2026, 4, 24), D("20"))],
        as_of=dt.date(2026, 4, 30),
    )
    assert revenue.total == D("4000.00")
    assert revenue.by_month == {MARCH: D("5000.00"), dt.date(2026, 4, 1): D("-1000.00")}


TERMS = r.RetainerTerms(
    fee=D("10000.00"), hours=D("100"), rollover_months=2, overage_rate=D("120.00"), start=dt.date(2026, 1, 15)
)


def test_a_retainer_rolls_unused_hours_over_and_bills_overage():
    """100 h a month for 10,000.00, unused hours kept two months, overage at 120.00. January uses 80 h: 20 roll
    over. February uses 110 h: the 20 rolled over, then 90 of its own; 10 roll over. March uses 125 h: the 10,
    then its 100, and 15 h overage = 1,800.00. Revenue 10,000 + 10,000 + 11,800 = 31,800.00."""
    hours = [(dt.date(2026, 1, 20), D("80")), (dt.date(2026, 2, 10), D("60")), (dt.date(2026, 2, 24), D("50"))]
    hours += [(dt.date(2026, 3, 3), D("125"))]
    months = r.retainer_months(terms=TERMS, hours=hours, as_of=dt.date(2026, 3, 31))
    assert [(m.month.month, m.rolled_in, m.used, m.overage_hours, m.overage, m.balance) for m in months] == [
        (1, D("0"), D("80"), D("0"), D("0.00"), D("20")),
        (2, D("20"), D("110"), D("0"), D("0.00"), D("10")),
        (3, D("10"), D("125"), D("15"), D("1800.00"), D("0")),
    ]
    revenue = r.retainer(terms=TERMS, hours=hours, as_of=dt.date(2026, 3, 31))
    assert revenue.total == D("31800.00")
    assert r.margin(revenue=revenue.total, cost=D("25440.00")).percent == D("20.0")


def test_rolled_over_hours_expire_after_their_months():
    """One month's rollover: January's 40 unused hours can serve February only; February uses 30 of them,
    the other 10 expire at February's end. No rollover at all: the month's own unused hours expire."""
    terms = r.RetainerTerms(
        fee=D("5000.00"), hours=D("100"), rollover_months=1, overage_rate=None, start=dt.date(2026, 1, 1)
    )
    hours = [(dt.date(2026, 1, 5), D("60")), (dt.date(2026, 2, 5), D("30"))]
    jan, feb = r.retainer_months(terms=terms, hours=hours, as_of=dt.date(2026, 2, 28))
    assert (jan.expired, jan.balance) == (D("0"), D("40"))
    assert (feb.rolled_in, feb.expired, feb.balance) == (D("40"), D("10"), D("100"))
    none = r.RetainerTerms(fee=D("5000.00"), hours=D("100"), rollover_months=0, overage_rate=None, start=MARCH)
    (march,) = r.retainer_months(terms=none, hours=[(MARCH, D("30"))], as_of=dt.date(2026, 3, 31))
    assert (march.expired, march.balance) == (D("70"), D("0"))


def test_retainer_overage_without_a_rate_earns_nothing_and_is_said():
    terms = r.RetainerTerms(fee=D("1000.00"), hours=D("10"), rollover_months=0, overage_rate=None, start=MARCH)
    revenue = r.retainer(terms=terms, hours=[(MARCH, D("12.5"))], as_of=dt.date(2026, 3, 31))
    assert (revenue.total, revenue.overage_unpriced_hours) == (D("1000.00"), D("2.5"))


def test_a_retainers_contract_value_is_its_months_fees():
    assert r.retainer_contract_value(TERMS) is None
    ended = r.RetainerTerms(**{**TERMS.__dict__, "end": dt.date(2026, 6, 30)})
    assert r.retainer_contract_value(ended) == D("60000.00")


def test_margin_without_revenue_has_no_percent():
    assert r.margin(revenue=D("0"), cost=D("50")) == r.Margin(D("0.00"), D("50.00"), D("-50.00"), None)
