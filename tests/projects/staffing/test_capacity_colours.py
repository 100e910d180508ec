"""The capacity heatmap colours utilisation by band, marks tentative over-booking apart, and says so in a legend."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from projects.staffing.selectors import heat_cell
from teams.capacity import WeekLoad
from tests.factories import AllocationFactory, TeamMemberFactory

WEEK = dt.date(2025, 3, 3)


def load(confirmed: str, tentative: str = "0", capacity: str = "40") -> WeekLoad:
    return WeekLoad(
        week=WEEK,
        capacity=Decimal(capacity),
        confirmed=Decimal(confirmed),
        tentative=Decimal(tentative),
        full_capacity=Decimal(capacity),
    )


@pytest.mark.parametrize(
    ("confirmed", "tentative", "capacity", "band", "tentative_over"),
    [
        ("41", "0", "40", "over", False),
        ("40", "0", "40", "high", False),
        ("32", "0", "40", "high", False),  # 80 %
        ("31", "0", "40", "low", False),
        ("0", "0", "40", "none", False),
        ("5", "0", "0", "over", False),  # booked with no capacity left
        ("0", "0", "0", "none", False),
        ("30", "15", "40", "low", True),  # 75 % confirmed, 112 % with tentative
        ("40", "1", "40", "high", True),
        ("45", "10", "40", "over", False),  # already over: red, not "tentative over"
        ("20", "10", "40", "low", False),
    ],
)
def test_it_puts_each_week_in_its_band(confirmed, tentative, capacity, band, tentative_over):
    cell = heat_cell(load(confirmed, tentative, capacity))
    assert (cell.band, cell.tentative_over) == (band, tentative_over)
    assert f"util-{band}" in cell.css_class.split()


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2025, 3, 5, 9, tzinfo=dt.UTC), tick=False)
def test_it_shows_the_bands_with_classes_and_a_legend(client, pm, world):
    eve = TeamMemberFactory(name="Eve", department=world["alpha"], weekly_capacity_hours=Decimal("40"))
    AllocationFactory(member=eve, hours_per_week=Decimal("30"))
    AllocationFactory(member=eve, hours_per_week=Decimal("15"), status="tentative")
    client.force_login(pm)

    page = client.get(reverse("staffing:capacity"), {"department": world["alpha"].pk}).content.decode()

    assert re.search(r'class="cell util-low util-tentative-over[^"]*"', page)
    assert "tentative bookings would overbook" in page
    assert "Legend" in page
    for words in ("Over 100 %: over-allocated", "nearly full", "Under 80 %", "tentative bookings would take it over"):
        assert words in page
    assert ' style="' not in page.split('class="heat-legend')[1]


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_band_has_text_of_at_least_4_5_to_1():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "apm.css").read_text()
    tentative = re.search(r"\.heatmap td\.cell \.tentative \{ color: (#[0-9a-f]{6}); \}", css).group(1)
    for band in ("none", "low", "high", "over"):
        rule = re.search(rf"\.heatmap td\.cell\.util-{band}, [^{{]*\{{([^}}]*)\}}", css).group(1)
        background = re.search(r"background-color: (#[0-9a-f]{6})", rule).group(1)
        text = re.search(r"[^-]color: (#[0-9a-f]{6})", rule).group(1)
        assert contrast(text, background) >= 4.5, band
        if band != "over":  # on red the tentative note is white, as the figure
            assert contrast(tentative, background) >= 4.5, band
