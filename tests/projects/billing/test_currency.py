"""Exchange rates of a stated date, conversions through EUR and totals in a reporting currency, with worked figures.

The rates below are test figures (1 EUR = ... on Fri 4 Dec 2026), not the ECB's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.billing import currency
from projects.billing.currency import CrossRate, Gap, MissingRate
from projects.budget import selectors
from projects.models import ExchangeRate, Project
from tests import factories

D = Decimal
THU = dt.date(2026, 12, 3)
FRI = dt.date(2026, 12, 4)
SAT = dt.date(2026, 12, 5)
SUN = dt.date(2026, 12, 6)
MON = dt.date(2026, 12, 7)


def _rates(day: dt.date, **rates: str) -> None:
    ExchangeRate.objects.bulk_create(
        ExchangeRate(date=day, currency=code, rate=D(rate), source="test figures") for code, rate in rates.items()
    )


@pytest.fixture
def friday(db):
    """Thursday's and Friday's rates; nothing on the weekend (the ECB publishes none)."""
    _rates(THU, USD="1.0532", JPY="160.87", GBP="0.86055")
    _rates(FRI, USD="1.0550", JPY="161.23", GBP="0.8612")


def test_it_reads_the_rate_of_the_stated_day_with_its_date(friday):
    assert currency.rate_on("GBP", FRI) == currency.Rate("GBP", D("0.8612"), FRI)
    assert currency.rate_on("GBP", THU) == currency.Rate("GBP", D("0.86055"), THU)


@pytest.mark.parametrize("stated", [SAT, SUN])
def test_it_takes_fridays_rate_on_a_weekend_and_says_so(friday, stated):
    rate = currency.rate_on("GBP", stated)
    assert rate == currency.Rate("GBP", D("0.8612"), FRI)  # the date it is from, not the stated one
    conversion = currency.convert(D("1000"), source="USD", target="GBP", on=stated)
    assert conversion.cross.dates == (FRI,)


def test_it_finds_a_rate_five_days_back_and_none_six_days_back(db):
    _rates(dt.date(2026, 11, 30), GBP="0.8615")  # a Monday
    assert currency.rate_on("GBP", dt.date(2026, 12, 5)) == currency.Rate("GBP", D("0.8615"), dt.date(2026, 11, 30))
    assert currency.rate_on("GBP", dt.date(2026, 12, 6)) is None  # six days back: a gap, not 1
    assert currency.rate_on("GBP", dt.date(2026, 11, 29)) is None  # and never a rate of a later day


def test_it_converts_through_eur_rounding_half_up_at_the_end(friday, django_assert_num_queries):
    # 1000 USD / 1.0550 USD per EUR = 947.8673 EUR; * 0.8612 GBP per EUR = 816.3033 GBP -> 816.30
    with django_assert_num_queries(1):
        usd_gbp = currency.convert(D("1000"), source="USD", target="GBP", on=FRI)
    assert usd_gbp.converted == D("816.30")
    assert usd_gbp.cross.rate_text == "0.816303"  # 0.8612 / 1.0550 GBP per USD
    assert usd_gbp.cross.legs == (currency.Rate("USD", D("1.0550"), FRI), currency.Rate("GBP", D("0.8612"), FRI))
    # 250 GBP / 0.8612 * 161.23 = 46803.878... JPY -> 46803.88 (not 250 * 187.22 = 46805.00: no rounded cross rate)
    gbp_jpy = currency.convert(D("250"), source="GBP", target="JPY", on=FRI)
    assert gbp_jpy.converted == D("46803.88")
    assert gbp_jpy.cross.rate_text == "187.216"
    # EUR is 1: 50000 EUR * 0.8612 = 43060.00 GBP, one leg (GBP's)
    eur_gbp = currency.convert(D("50000"), source="EUR", target="GBP", on=FRI)
    assert (eur_gbp.converted, eur_gbp.cross.rate_text, eur_gbp.cross.dates) == (D("43060.00"), "0.8612", (FRI,))
    # and back: 43060 GBP / 0.8612 = 50000.00 EUR
    assert currency.convert(D("43060"), source="GBP", target="EUR", on=FRI).converted == D("50000.00")


def test_it_converts_eur_to_eur_and_a_currency_to_itself_at_one_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        eur = currency.convert(D("123.455"), source="EUR", target="EUR", on=SUN)
        gbp = currency.convert(D("10.005"), source="GBP", target="GBP", on=SUN)  # no GBP rate stored at all
        assert currency.rate_on("EUR", SUN) == currency.Rate("EUR", D(1), SUN)
    assert (eur.converted, eur.cross.rate, eur.cross.legs) == (D("123.46"), D(1), ())
    assert gbp.converted == D("10.01")


def test_it_refuses_a_conversion_without_a_rate_rather_than_assume_one(friday):
    with pytest.raises(MissingRate, match="No CHF rate within 5 days before 2026-12-04"):
        currency.convert(D("100"), source="CHF", target="GBP", on=FRI)
    with pytest.raises(MissingRate, match="No CHF rate"):
        currency.convert(D("100"), source="GBP", target="CHF", on=FRI)


def test_it_totals_a_department_of_gbp_and_eur_projects_in_gbp_through_eur(friday, django_assert_num_queries):
    department = factories.DepartmentFactory(code="MIXED")
    factories.ProjectFactory(code="M-GBP-1", departments=[department], currency="GBP", bac=D("100000"))
    factories.ProjectFactory(code="M-GBP-2", departments=[department], currency="GBP", bac=D("20000.50"))
    factories.ProjectFactory(code="M-EUR-1", departments=[department], currency="EUR", bac=D("50000"))
    rows = selectors.portfolio_rows(projects=Project.objects.filter(departments=department), as_of=FRI)
    bac = {}
    for row in rows:
        bac[row.currency] = bac.get(row.currency, D(0)) + row.metrics.bac
    assert bac == {"GBP": D("120000.50"), "EUR": D("50000.00")}
    with django_assert_num_queries(1):
        total = currency.total_in(bac, currency="GBP", on=SUN)  # a Sunday: Friday's rate
    # 120000.50 GBP + 50000 EUR * 0.8612 GBP per EUR (Fri 4 Dec) = 120000.50 + 43060.00 = 163060.50 GBP
    assert total.amount == D("163060.50")
    assert total.complete
    eur, gbp = total.parts
    assert (eur.cross.source, eur.converted, eur.cross.rate_text, eur.cross.dates) == (
        "EUR",
        D("43060.00"),
        "0.8612",
        (FRI,),
    )
    assert (gbp.cross.source, gbp.converted, gbp.cross.legs) == ("GBP", D("120000.50"), ())


def test_it_reports_a_missing_rate_as_a_gap_and_leaves_its_amounts_out(friday):
    total = currency.total_in({"GBP": D("100"), "CHF": D("999"), "EUR": D("10")}, currency="GBP", on=FRI)
    assert total.amount == D("108.61")  # 100 + 10 * 0.8612 = 108.612; CHF is not counted at 1 or at all
    assert total.gaps == (Gap(currency="CHF", missing=("CHF",)),)
    assert total.left_out == ("CHF",)
    assert not total.complete
    assert [part.cross.source for part in total.parts] == ["EUR", "GBP"]


def test_it_leaves_out_every_other_currency_when_the_reporting_currency_has_no_rate(friday):
    total = currency.total_in({"CHF": D("5"), "GBP": D("100"), "USD": D("7")}, currency="CHF", on=FRI)
    assert total.amount == D("5.00")  # only what is already in CHF
    assert total.gaps == (Gap("GBP", ("CHF",)), Gap("USD", ("CHF",)))


def test_it_says_when_both_rates_are_missing(db):
    total = currency.total_in({"USD": D("1")}, currency="GBP", on=FRI)
    assert (total.amount, total.gaps) == (D("0.00"), (Gap("USD", ("USD", "GBP")),))


def test_it_reads_every_rate_in_one_query_whatever_the_number_of_currencies(friday, django_assert_num_queries):
    _rates(FRI, CHF="0.9371", SEK="11.4520")
    amounts = {code: D("100") for code in ("USD", "JPY", "GBP", "CHF", "SEK", "EUR")}
    with django_assert_num_queries(1):
        total = currency.total_in(amounts, currency="GBP", on=SAT)
    assert total.complete
    assert len(total.parts) == 6


def test_it_totals_columns_of_rows_with_the_same_rates_and_counts_the_rows_left_out(friday):
    rows = [
        ("GBP", {"bac": D("1000"), "eac": D("1100")}),
        ("EUR", {"bac": D("500"), "eac": D("400")}),
        ("EUR", {"bac": D("500"), "eac": D("400")}),
        ("CHF", {"bac": D("7"), "eac": D("7")}),
    ]
    totals = currency.totals_in(rows, currency="GBP", on=SUN)
    assert totals.columns["bac"].amount == D("1861.20")  # 1000 + 1000 EUR * 0.8612
    assert totals.columns["eac"].amount == D("1788.96")  # 1100 + 800 EUR * 0.8612
    assert [rate.source for rate in totals.rates] == ["EUR"]  # GBP needs no rate
    assert isinstance(totals.rates[0], CrossRate)
    assert totals.gaps == ((Gap("CHF", ("CHF",)), 1),)


def test_it_needs_no_rate_when_every_row_is_in_the_reporting_currency(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        totals = currency.totals_in([("GBP", {"bac": D("1")}), ("GBP", {"bac": D("2")})], currency="GBP", on=FRI)
    assert (totals.columns["bac"].amount, totals.rates, totals.gaps) == (D("3.00"), (), ())


def test_it_refuses_to_answer_for_a_currency_whose_rate_was_not_read(friday):
    rates = currency.rates_on(["GBP"], FRI)
    with pytest.raises(ValueError, match="USD was not among the rates read"):
        rates.total({"USD": D("1")}, currency="GBP")


@pytest.mark.parametrize(
    ("value", "text"),
    [("0.861200", "0.8612"), ("187.2155132", "187.216"), ("0.00534144", "0.00534144"), ("100", "100"), ("0", "0")],
)
def test_it_writes_a_rate_to_six_significant_digits(value, text):
    assert currency.significant(D(value)) == text
