"""``manage.py import_rates``: the ECB's daily and historical layouts, N/A, a second run, bad files refused."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.billing import currency
from projects.models import ExchangeRate

D = Decimal
SAMPLE = Path(settings.BASE_DIR) / "projects" / "billing" / "samples" / "eurofxref-hist-sample.csv"
FRI = dt.date(2026, 12, 4)

# The daily file as the ECB writes it: a space after each comma, a comma at the end, the date in words.
DAILY = "Date, USD, JPY, GBP, CHF, SEK, \n04 December 2026, 1.0550, 161.23, 0.86120, 0.9371, 11.4520, \n"
HIST = "Date,USD,GBP,SEK,\n2026-12-04,1.0550,0.86120,11.4520,\n2026-12-03,1.0532,0.86055,N/A,\n"


def _import(*paths: Path) -> str:
    out = io.StringIO()
    call_command("import_rates", *map(str, paths), stdout=out)
    return out.getvalue()


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored() -> dict[tuple[dt.date, str], Decimal]:
    return {(r.date, r.currency): r.rate for r in ExchangeRate.objects.all()}


def test_it_imports_the_daily_layout(db, tmp_path):
    path = _file(tmp_path, "eurofxref.csv", DAILY)
    assert "5 added, 0 changed, 0 unchanged (1 day)." in _import(path)
    assert _stored() == {
        (FRI, "USD"): D("1.0550"),
        (FRI, "JPY"): D("161.23"),
        (FRI, "GBP"): D("0.8612"),
        (FRI, "CHF"): D("0.9371"),
        (FRI, "SEK"): D("11.4520"),
    }
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {"ECB reference rates (eurofxref.csv)"}


def test_it_imports_the_historical_layout_and_skips_n_a(db, tmp_path):
    path = _file(tmp_path, "eurofxref-hist.csv", HIST)
    assert "5 added, 0 changed, 0 unchanged (2 days)." in _import(path)
    assert (dt.date(2026, 12, 3), "SEK") not in _stored()  # N/A: not quoted that day, no row
    assert _stored()[(dt.date(2026, 12, 3), "GBP")] == D("0.86055")
    assert ExchangeRate.objects.get(date=FRI, currency="USD").source == "ECB reference rates (eurofxref-hist.csv)"


def test_it_imports_the_sample_in_the_repo_and_a_second_run_changes_nothing(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # read what is stored, one bulk insert (plus the savepoint's)
        first = _import(SAMPLE)
    assert "59 added, 0 changed, 0 unchanged (12 days)." in first  # 12 weekdays x 5 currencies, one N/A
    before = list(ExchangeRate.objects.order_by("pk").values_list("pk", "date", "currency", "rate", "created_at"))
    assert "0 added, 0 changed, 59 unchanged (12 days)." in _import(SAMPLE)
    assert list(ExchangeRate.objects.order_by("pk").values_list("pk", "date", "currency", "rate", "created_at")) == (
        before
    )
    # The sample feeds the lookups: Sunday 6 Dec reads Friday's GBP rate; SEK was not quoted on 26 Nov.
    assert currency.rate_on("GBP", dt.date(2026, 12, 6)) == currency.Rate("GBP", D("0.8612"), FRI)
    assert currency.rate_on("SEK", dt.date(2026, 11, 26)) == currency.Rate("SEK", D("11.4570"), dt.date(2026, 11, 25))


def test_it_changes_a_rate_the_file_gives_differently_and_counts_it(db, tmp_path):
    _import(_file(tmp_path, "eurofxref-hist.csv", HIST))
    ExchangeRate.objects.filter(date=FRI, currency="GBP").update(rate=D("0.9"), source="Entered by admin")
    ExchangeRate.objects.filter(date=FRI, currency="USD").update(source="Entered by admin")  # same rate
    assert "0 added, 1 changed, 4 unchanged (2 days)." in _import(_file(tmp_path, "eurofxref-hist.csv", HIST))
    gbp = ExchangeRate.objects.get(date=FRI, currency="GBP")
    assert (gbp.rate, gbp.source) == (D("0.8612"), "ECB reference rates (eurofxref-hist.csv)")
    assert ExchangeRate.objects.get(date=FRI, currency="USD").source == "Entered by admin"  # unchanged: left alone


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HIST + "2026-12-02,1.0519,abc,11.4810,\n", "line 4: the GBP rate 'abc' is not a number"),
        (HIST + "2026-12-02,1.0519,-0.86,11.4810,\n", "line 4: the GBP rate -0.86 is not above zero"),
        (HIST + "2026-12-02,1.0519,0,11.4810,\n", "line 4: the GBP rate 0 is not above zero"),
        (HIST + "2026-12-02,1.0519,0.12345678,11.4810,\n", "line 4: the GBP rate 0.12345678 has more than 6 decimal"),
        (HIST + "2026-02-30,1.0519,0.8599,11.4810,\n", "line 4: '2026-02-30' is not a date"),
        (HIST + "2026-12-02,1.0519,0.8599,\n", "line 4: the SEK rate is empty (the ECB writes N/A"),
        (HIST + "2026-12-02,1.0519,0.8599\n", "line 4: 3 cells where the header has 4 columns"),
        (HIST + "2026-12-02,1.0519,0.8599,11.4810,7,\n", "line 4: 6 cells where the header has 4 columns"),
        (HIST + "2026-12-04,1.0519,0.8599,11.4810,\n", "line 4: 2026-12-04 again (first on line 2)"),
        (HIST.replace("Date,", "Day,"), "line 1: the header must start with Date"),
        (HIST.replace("GBP", "Pound"), "line 1: column 3 'Pound' is not a currency code"),
        (HIST.replace("GBP", "EUR"), "line 1: EUR is the currency the rates are quoted against"),
        (HIST.replace("GBP", "USD"), "line 1: USD is named twice"),
        ("Date,USD,\n2026-12-04,N/A,\n", "no rates in the file"),
        ("", "the file is empty"),
    ],
)
def test_it_refuses_a_bad_file_naming_the_file_and_line_and_writes_nothing(db, tmp_path, text, message):
    path = _file(tmp_path, "eurofxref-hist.csv", text)
    with pytest.raises(CommandError) as refused:
        _import(path)
    assert str(path) in str(refused.value)
    assert message in str(refused.value)
    assert "Nothing imported." in str(refused.value)
    assert not ExchangeRate.objects.exists()  # not even the good rows before the bad one


def test_it_writes_none_of_the_files_when_one_of_them_is_bad(db, tmp_path):
    good = _file(tmp_path, "eurofxref.csv", DAILY)
    bad = _file(tmp_path, "eurofxref-hist.csv", HIST + "04/12/2026,1,1,1,\n")
    with pytest.raises(CommandError, match=r"eurofxref-hist\.csv, line 4: '04/12/2026' is not a date"):
        _import(good, bad)
    assert not ExchangeRate.objects.exists()


def test_it_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match=r"nope\.csv: cannot read the file"):
        _import(tmp_path / "nope.csv")
