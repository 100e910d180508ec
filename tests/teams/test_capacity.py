"""Capacity arithmetic (teams.capacity): leave, holidays and bookings by week, with a hypothesis property."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from teams.capacity import Absence, Booking, week_loads, weeks_between

MONDAY = dt.date(2025, 3, 3)
WEEKS = weeks_between(MONDAY, MONDAY + dt.timedelta(weeks=5, days=6))


def test_it_takes_leave_holidays_and_bookings_out_of_the_week():
    loads = week_loads(
        weeks=WEEKS[:2],
        weekly_hours=Decimal("40"),
        bookings=[
            Booking(MONDAY, MONDAY + dt.timedelta(days=13), Decimal("30")),
            Booking(MONDAY, MONDAY, Decimal("5"), False),
        ],
        absences=[Absence(MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=8))],
        holidays=[MONDAY + dt.timedelta(days=4)],
    )
    assert [load.capacity for load in loads] == [Decimal("32"), Decimal("24")]
    assert [load.confirmed for load in loads] == [Decimal("30"), Decimal("30")]
    assert loads[0].free == Decimal("2")
    assert not loads[0].over
    assert loads[1].free == 0
    assert loads[1].over
    assert loads[1].away
    assert loads[0].tentative == Decimal("1")  # one of five working days
    assert loads[1].utilisation == 125


def test_it_prorates_a_booking_in_a_partial_week():
    loads = week_loads(
        weeks=WEEKS[:1],
        weekly_hours=Decimal("35"),
        bookings=[Booking(MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=30), Decimal("20"))],
    )
    assert loads[0].confirmed == Decimal("12")  # Wed-Fri: 3 of 5 working days


booking_st = st.builds(
    Booking,
    start=st.dates(MONDAY - dt.timedelta(days=10), MONDAY + dt.timedelta(days=50)),
    end=st.dates(MONDAY, MONDAY + dt.timedelta(days=70)),
    hours_per_week=st.decimals(1, 40, places=1),
    confirmed=st.booleans(),
).filter(lambda b: b.end >= b.start)


@given(bookings=st.lists(booking_st, max_size=4), extra=booking_st, weekly=st.decimals(0, 45, places=1))
def test_it_never_raises_free_hours_when_a_confirmed_booking_is_added(bookings, extra, weekly):
    before = week_loads(weeks=WEEKS, weekly_hours=weekly, bookings=bookings)
    confirmed = Booking(extra.start, extra.end, extra.hours_per_week, True)
    after = week_loads(weeks=WEEKS, weekly_hours=weekly, bookings=[*bookings, confirmed])
    for old, new in zip(before, after, strict=True):
        assert new.free <= old.free
        assert new.free >= 0
