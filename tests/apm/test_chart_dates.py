"""Chart dates say their year unless the axis makes it plain; indices to 2 decimals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from apm.charts.burn_up import burn_up_svg
from apm.charts.timeline import milestone_timeline_svg
from apm.templatetags.apm_format import index


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_it_labels_the_burn_up_months_with_the_full_year():
    series = [
        {"date": dt.date(2026, 11, 1), "pv": Decimal("0"), "ev": Decimal("0"), "ac": Decimal("0")},
        {"date": dt.date(2027, 2, 1), "pv": Decimal("900"), "ev": None, "ac": None},
    ]
    labels = texts(burn_up_svg(series, currency="GBP"))
    assert {"Dec 2026", "Jan 2027", "Feb 2027"} <= set(labels)
    assert not any(re.fullmatch(r"[A-Z][a-z]{2} \d{2}", label) for label in labels)


def test_it_leaves_the_year_off_milestones_in_the_year_of_today():
    milestones = [{"name": "Design", "due_date": "2026-03-03", "completed_on": None, "state": "upcoming"}]
    labels = texts(milestone_timeline_svg(milestones=milestones, today=dt.date(2026, 12, 6)))
    assert "6 Dec 2026" in labels
    assert "Design · 3 Mar" in labels


def test_it_names_the_year_of_every_milestone_when_they_span_years():
    milestones = [
        {"name": "Design", "due_date": "2026-12-20", "completed_on": None, "state": "upcoming"},
        {"name": "Go-live", "due_date": "2027-01-10", "completed_on": None, "state": "upcoming"},
    ]
    labels = texts(milestone_timeline_svg(milestones=milestones, today=dt.date(2026, 12, 6)))
    assert "Design · 20 Dec 2026" in labels
    assert "Go-live · 10 Jan 2027" in labels


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.8333", "0.83"),
        (Decimal("0.835"), "0.84"),
        ("1", "1.00"),
        (Decimal("1.2"), "1.20"),
        (0.9, "0.90"),
        (None, "—"),
        ("", "—"),
        ("n/a", "—"),
        ("NaN", "—"),
    ],
)
def test_it_gives_an_index_to_2_decimals(value, expected):
    assert index(value) == expected
