"""Earned value arithmetic on worked textbook examples, and money properties (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.budget import evm

D = Decimal


def test_it_computes_the_textbook_indices_and_estimates():
    # BAC 10,000; PV 5,000; EV 4,000; AC 4,500 (the usual PMBOK exam example).
    assert evm.cpi(ev=D("4000"), ac=D("4500")) == D("0.8889")
    assert evm.spi(ev=D("4000"), pv=D("5000")) == D("0.8000")
    assert evm.eac_typical(bac=D("10000"), ev=D("4000"), ac=D("4500")) == D("11250.00")
    assert evm.eac_atypical(bac=D("10000"), ev=D("4000"), ac=D("4500")) == D("10500.00")
    assert evm.eac_bottom_up(ac=D("4500"), etc=D("7000")) == D("11500.00")
    assert evm.tcpi(bac=D("10000"), ev=D("4000"), ac=D("4500")) == D("1.0909")
    assert evm.tcpi(bac=D("10000"), ev=D("4000"), ac=D("4500"), target=D("11250")) == D("0.8889")


def test_it_computes_a_whole_project_with_weighted_milestones():
    inputs = evm.EvmInputs(
        bac=D("10000"),
        ac=D("4500"),
        percent_complete=D("40"),
        as_of=dt.date(2025, 3, 31),
        start=dt.date(2025, 1, 1),
        finish=dt.date(2025, 6, 30),
        milestones=(
            evm.PlanMilestone(dt.date(2025, 3, 1), D("50")),
            evm.PlanMilestone(dt.date(2025, 6, 30), D("50")),
        ),
    )
    m = evm.evm_compute(inputs)
    assert (m.pv, m.ev, m.ac) == (D("5000.00"), D("4000.00"), D("4500.00"))
    assert (m.cv, m.sv) == (D("-500.00"), D("-1000.00"))
    assert (m.cpi, m.spi) == (D("0.8889"), D("0.8000"))
    assert (m.eac, m.eac_method) == (D("11250.00"), evm.EAC_TYPICAL)
    assert (m.etc, m.vac) == (D("6750.00"), D("-1250.00"))
    assert m.tcpi_bac == D("1.0909")


def ten_day_plan(**extra) -> evm.EvmInputs:
    """A 10-day plan at day 5 of 10: PV 50% of 100,000. 40% done for 50,000 spent."""
    return evm.EvmInputs(
        bac=D("100000"),
        ac=D("50000"),
        percent_complete=D("40"),
        as_of=dt.date(2025, 1, 5),
        start=dt.date(2025, 1, 1),
        finish=dt.date(2025, 1, 10),
        **extra,
    )


def test_it_computes_a_linear_plan_with_forecast_finish_and_burn_rate():
    m = evm.evm_compute(ten_day_plan())
    assert (m.pv, m.ev) == (D("50000.00"), D("40000.00"))
    assert (m.cpi, m.spi) == (D("0.8000"), D("0.8000"))
    assert m.eac == D("125000.00")
    assert m.eac_atypical == D("110000.00")
    assert m.etc == D("75000.00")
    assert m.vac == D("-25000.00")
    assert m.tcpi_bac == D("1.2000")
    # Planned duration 9 days / SPI 0.8 = 11.25 -> 11 days after the start.
    assert m.forecast_finish == dt.date(2025, 1, 12)
    assert m.burn_rate_per_day == D("10000.00")
    assert m.burn_rate_per_week == D("70000.00")


def test_it_prefers_the_bottom_up_estimate_when_given():
    m = evm.evm_compute(ten_day_plan(etc_bottom_up=D("70000")))
    assert (m.eac, m.eac_method, m.etc, m.vac) == (D("120000.00"), evm.EAC_BOTTOM_UP, D("70000.00"), D("-20000.00"))


def test_it_leaves_undefined_ratios_empty_instead_of_dividing_by_zero():
    m = evm.evm_compute(
        evm.EvmInputs(
            bac=D("1000"), ac=D("0"), percent_complete=D("0"), as_of=dt.date(2025, 1, 1), start=None, finish=None
        )
    )
    assert m.cpi is None
    assert m.spi is None
    assert (m.eac, m.eac_method) == (D("1000.00"), evm.EAC_NO_COST)
    assert m.forecast_finish is None


@pytest.mark.parametrize(
    ("cpi", "spi", "rag"),
    [
        (D("1.00"), D("0.95"), "green"),
        (D("0.94"), D("1.20"), "amber"),
        (D("0.85"), None, "amber"),
        (D("1.10"), D("0.8499"), "red"),
        (None, None, "green"),
    ],
)
def test_it_derives_rag_from_the_worse_index(cpi, spi, rag):
    assert evm.rag_from_indices(cpi_value=cpi, spi_value=spi) == rag


def test_it_refuses_floats_as_money():
    with pytest.raises(TypeError):
        evm.money(0.1)


money_values = st.decimals(min_value=D("0"), max_value=D("1000000000"), places=2, allow_nan=False)


@given(st.decimals(min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False))
def test_it_rounds_money_half_up_to_the_minor_unit(value):
    rounded = evm.money(value)
    assert isinstance(rounded, Decimal)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= D("0.005")


@given(st.lists(money_values, min_size=1, max_size=30))
def test_it_sums_lines_exactly_to_the_total(lines):
    total = evm.money_sum(lines)
    assert total == sum(lines, D("0"))
    assert total.as_tuple().exponent == -2


@given(money_values, st.lists(st.decimals(min_value=D("0"), max_value=D("1000"), places=2), min_size=1, max_size=12))
def test_it_allocates_a_total_whose_parts_sum_to_it(total, weights):
    if sum(weights) == 0:
        with pytest.raises(ValueError, match="zero"):
            evm.allocate(total, weights)
        return
    parts = evm.allocate(total, weights)
    assert sum(parts, D("0")) == evm.money(total)
    assert all(isinstance(p, Decimal) and p.as_tuple().exponent == -2 for p in parts)
    assert all(p >= 0 for p in parts)


def in_2025(*, bac: Decimal, ac: Decimal, pct: Decimal, etc: Decimal | None = None) -> evm.EvmInputs:
    """Inputs of a project planned over 2025, measured on 1 June."""
    return evm.EvmInputs(
        bac=bac,
        ac=ac,
        percent_complete=pct,
        as_of=dt.date(2025, 6, 1),
        start=dt.date(2025, 1, 1),
        finish=dt.date(2025, 12, 31),
        etc_bottom_up=etc,
    )


@given(
    bac=money_values,
    pct=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
    ac=money_values,
)
def test_it_keeps_every_money_figure_decimal_at_two_places(bac, pct, ac):
    m = evm.evm_compute(in_2025(bac=bac, ac=ac, pct=pct))
    for figure in (m.pv, m.ev, m.ac, m.cv, m.sv, m.eac, m.etc, m.vac, m.eac_atypical):
        assert isinstance(figure, Decimal)
        assert figure.as_tuple().exponent == -2
    assert m.etc == m.eac - m.ac
    assert m.vac == m.bac - m.eac


@given(
    bac=money_values,
    pct=st.decimals(min_value=D("-5"), max_value=D("105"), places=2),
    ac=money_values | st.just(D("0")),
    etc=st.none() | money_values,
)
def test_it_forecasts_without_the_plan_what_the_full_computation_forecasts(bac, pct, ac, etc):
    """A summary of many projects adds the forecasts their rows show: the same BAC, EAC and VAC, whatever the
    method (bottom-up, typical, nothing spent, nothing earned)."""
    full = evm.evm_compute(in_2025(bac=bac, ac=ac, pct=pct, etc=etc))
    assert evm.forecast_at_completion(bac=bac, ac=ac, percent_complete=pct, etc_bottom_up=etc) == (
        full.bac,
        full.eac,
        full.vac,
    )
