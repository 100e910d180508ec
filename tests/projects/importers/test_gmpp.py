"""Pure parsing of GMPP files: money, dates, ratings, withheld text, headers and line numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.importers import gmpp
from projects.importers.mapping import GMPP, parse_record


@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("£1,234.50", Decimal("1234500000.00")),
        ("£278", Decimal("278000000.00")),
        ("1234.5", Decimal("1234500000.00")),
        (" £33.73 ", Decimal("33730000.00")),
        ("£0.004", Decimal("4000.00")),
        ("-£3.2", Decimal("-3200000.00")),
        ("£-3.2", Decimal("-3200000.00")),
        ("£12,345,678.9", Decimal("12345678900000.00")),
        ("£5m", Decimal("5000000.00")),
    ],
)
def test_it_parses_money_in_millions_to_pounds(text, pounds):
    assert gmpp.parse_money(text) == pounds


@pytest.mark.parametrize("text", ["", "   ", None])
def test_it_reads_blank_money_as_none(text):
    assert gmpp.parse_money(text) is None


@pytest.mark.parametrize("text", ["twelve", "£1,23.4", "£", "1.2.3", "Exempt under Section 43", "12%"])
def test_it_rejects_money_that_is_not_a_number(text):
    with pytest.raises(ValueError, match="not an amount"):
        gmpp.parse_money(text)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("30.05.14", dt.date(2014, 5, 30)),
        ("31.12.40", dt.date(2040, 12, 31)),
        ("30.06.98", dt.date(1998, 6, 30)),
        ("2014-05-30", dt.date(2014, 5, 30)),
        ("01.10.2020", dt.date(2020, 10, 1)),
        (" 2022-03-31 ", dt.date(2022, 3, 31)),
    ],
)
def test_it_parses_the_three_date_formats(text, date):
    assert gmpp.parse_date(text) == date


@pytest.mark.parametrize("text", ["31.02.20", "2022-13-01", "30/05/2014", "May 2024", "TBD"])
def test_it_rejects_dates_it_cannot_read(text):
    with pytest.raises(ValueError, match="date"):
        gmpp.parse_date(text)


@pytest.mark.parametrize(
    "text",
    [
        " Exempt under Section 43 of the Freedom of Information Act 2000 (Commercial Interests) ",
        "Exemption under Section 24 (National Security) and 31 (1) (Law Enforcement)",
        "The project is not in a position to provide this information",
        "The project is still at the planning stage and is not yet in a position to provide this information",
        "Data Not Provided",
        "TBD",
        "Early planning GMPP project \r\r\n\r\r\n(The project has not yet passed SOC, or its programme equivalent)",
    ],
)
def test_it_recognises_text_published_instead_of_a_value(text):
    note = gmpp.withheld_text(text)
    assert note is not None
    assert note == note.strip()
    assert "\r" not in note


@pytest.mark.parametrize("text", ["", "£12.50", "2021-03-31", "Amber", "twelve"])
def test_it_does_not_take_values_for_withheld_text(text):
    assert gmpp.withheld_text(text) is None


def test_it_splits_and_upper_cases_departments():
    assert gmpp.parse_departments("DEFRA & DfT") == ["DEFRA", "DFT"]
    assert gmpp.parse_departments(" MoJ ") == ["MOJ"]
    assert gmpp.parse_departments("DfT & DFT") == ["DFT"]
    assert gmpp.parse_departments("") == []


def test_it_gives_the_as_of_date_of_each_annual_file():
    assert gmpp.as_of_for_year(2018) == dt.date(2017, 9, 30)
    assert gmpp.as_of_for_year(2020) == dt.date(2019, 9, 30)
    assert gmpp.as_of_for_year(2022) == dt.date(2022, 3, 31)
    assert gmpp.as_of_for_year(2024) == dt.date(2024, 3, 31)


def _header(*columns: str) -> gmpp.GmppHeader:
    return gmpp._header_from_line(";".join(columns))


def _row(header: gmpp.GmppHeader, **cells: str) -> dict[str, str | None]:
    return {name: cells.get(name, "") for name in header.columns}


def test_it_prefers_the_ipa_rating_and_canonicalises_it():
    header = _header("year", "project_name", "department", "colour_rating", "colour_rating")
    assert header.columns[3:] == ["colour_rating", "colour_rating_2"]
    row = _row(header, year="2022", project_name="P", department="MOD")
    row.update({"colour_rating": "amber / red", "colour_rating_2": "Green"})
    record = parse_record(row, columns=header.columns, mapping=GMPP)
    assert (record.rating_published, record.rag, record.rating_source, record.rating_note) == (
        "Amber/Red",
        "red",
        "ipa",
        "",
    )


def test_it_falls_back_to_the_sro_rating_when_the_ipa_gave_none():
    header = _header("year", "project_name", "department", "colour_rating", "colour_rating")
    row = _row(header, year="2022", project_name="P", department="MOD")
    row.update({"colour_rating": "", "colour_rating_2": "Amber"})
    record = parse_record(row, columns=header.columns, mapping=GMPP)
    assert (record.rating_published, record.rag, record.rating_source) == ("Amber", "amber", "sro")


def test_it_keeps_rating_text_that_is_not_a_rating_as_a_note():
    header = _header("year", "project_name", "department", "colour_rating", "colour_rating")
    text = "Exempt under Section 26 of the Freedom of Information Act 2000 (Defence)"
    row = _row(header, year="2022", project_name="P", department="MOD")
    row.update({"colour_rating": text, "colour_rating_2": text})
    record = parse_record(row, columns=header.columns, mapping=GMPP)
    assert (record.rating_published, record.rag, record.rating_source, record.rating_note) == ("", "", "", text)


def test_it_keeps_withheld_money_as_text_and_joins_budget_comments():
    header = _header(
        "year", "project_name", "department", "wlc_baseline_incl_NCG", "variance_comment", "budget_comment"
    )
    row = _row(
        header,
        year="2021",
        project_name="  Big   Thing ",
        department="DfT",
        wlc_baseline_incl_NCG="Exempt under Section 43 of the Freedom of Information Act 2000",
        variance_comment="Over by 5%.",
        budget_comment="Re-baselined.\r\nTwice.",
    )
    record = parse_record(row, columns=header.columns, mapping=GMPP)
    assert record.name == "Big Thing"
    assert record.departments == ["DFT"]
    assert record.whole_life_cost is None
    assert record.withheld == {"whole_life_cost": "Exempt under Section 43 of the Freedom of Information Act 2000"}
    assert record.commentary_budget == "Over by 5%.\n\nRe-baselined.\nTwice."


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"project_name": ""}, "no project name"),
        ({"department": " "}, "no department"),
        ({"start_date": "someday"}, "start_date: not a date"),
        ({"yearly_budget": "lots"}, "budget_period: not an amount"),
        ({"year": "20x1"}, "year: not a year"),
    ],
)
def test_it_says_why_a_row_is_bad(cells, reason):
    header = _header("year", "project_name", "department", "start_date", "yearly_budget")
    row = _row(header, year="2019", project_name="P", department="HO", start_date="01.01.19", yearly_budget="£1")
    row.update(cells)
    with pytest.raises(gmpp.RowError, match=reason):
        parse_record(row, columns=header.columns, mapping=GMPP)


def test_it_reports_physical_start_lines_of_multi_line_rows(tmp_path):
    path = tmp_path / "uk_2019.csv"
    path.write_bytes(
        b"project_name,department,rating_comment\r\n"
        b'First,HO,"one\r\ntwo\rthree"\r\n'
        b'"Second, with comma",MOD,\xa3 and \x81 stray\r\n'
        b"\r\n"
        b"Third,CO,x"
    )
    rows = list(gmpp.read_rows(path))
    assert [(line, row["project_name"]) for line, row in rows] == [
        (2, "First"),
        (4, "Second, with comma"),
        (6, "Third"),
    ]
    assert rows[1][1]["rating_comment"] == "£ and \ufffd stray"
    assert gmpp.read_header(path).delimiter == ","
