"""Skill fit and candidate ranking (teams.fit), with hypothesis properties for the ranking rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from teams.capacity import Booking, week_loads
from teams.fit import Person, Requirement, rank_candidates, skill_fit
from tests.teams.test_capacity import MONDAY, WEEKS, booking_st

REQS = [Requirement(1, 4, "Python"), Requirement(2, 3, "SQL"), Requirement(3, 2, "Writing")]


def test_it_counts_fit_as_share_of_required_level_points():
    fit = skill_fit(requirements=REQS, levels={1: 2, 2: 5})
    assert (fit.covered, fit.required, fit.met, fit.total, fit.percent) == (5, 9, 1, 3, 56)
    assert fit.short == (("Python", 2, 4), ("Writing", 0, 2))


levels_st = st.dictionaries(st.sampled_from([1, 2, 3, 4]), st.integers(1, 5), max_size=4)


@given(levels=levels_st, skill=st.sampled_from([1, 2, 3, 4]), raise_by=st.integers(1, 4))
def test_it_never_lowers_fit_when_a_level_rises(levels, skill, raise_by):
    before = skill_fit(requirements=REQS, levels=levels).fraction
    raised = dict(levels)
    raised[skill] = min(5, raised.get(skill, 0) + raise_by)
    assert skill_fit(requirements=REQS, levels=raised).fraction >= before


def _person(pid, name, levels, bookings):
    return Person(
        id=pid, name=name, levels=levels, loads=week_loads(weeks=WEEKS, weekly_hours=Decimal("37.5"), bookings=bookings)
    )


people_st = st.lists(
    st.tuples(st.sampled_from(["Ann", "Bob", "ann", "Cy"]), levels_st, st.lists(booking_st, max_size=2)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60)
@given(rows=people_st, seed=st.randoms(use_true_random=False))
def test_it_ranks_the_same_whatever_the_input_order(rows, seed):
    people = [_person(i, name, levels, bookings) for i, (name, levels, bookings) in enumerate(rows, 1)]
    needs = [Decimal("20")] * len(WEEKS)
    first = [s.person.id for s in rank_candidates(people=people, requirements=REQS, needs=needs)]
    shuffled = list(people)
    seed.shuffle(shuffled)
    assert [s.person.id for s in rank_candidates(people=shuffled, requirements=REQS, needs=needs)] == first


def test_it_ranks_by_score_and_breaks_ties_by_name_then_id():
    busy = [Booking(MONDAY, MONDAY + dt.timedelta(weeks=8), Decimal("37.5"))]
    full = {1: 4, 2: 3, 3: 2}
    people = [
        _person(3, "Zed", full, []),
        _person(2, "amy", full, []),
        _person(1, "Amy", full, []),
        _person(4, "Busy", full, busy),
    ]
    ranked = rank_candidates(people=people, requirements=REQS, needs=[Decimal("20")] * len(WEEKS))
    assert [s.person.id for s in ranked] == [1, 2, 3, 4]
    assert ranked[0].reason == "has 3/3 skills at the level needed; free for all 6 weeks"
    assert ranked[3].availability.percent == 0
    assert "no time in weeks 1\u20136" in ranked[3].reason


def test_it_explains_partial_free_time_and_over_booking():
    bookings = [
        Booking(WEEKS[2], WEEKS[3] + dt.timedelta(days=6), Decimal("25.5")),
        Booking(WEEKS[5], WEEKS[5] + dt.timedelta(days=6), Decimal("45")),
    ]
    person = _person(1, "Ann", {1: 4, 2: 1}, bookings)
    [s] = rank_candidates(people=[person], requirements=REQS, needs=[Decimal("20")] * len(WEEKS))
    assert s.reason == (
        "has 1/3 skills at the level needed (short: SQL 1/3, Writing none); free as needed in weeks 1\u20132, 5; "
        "12 h/week free in weeks 3\u20134; no time in week 6; over-booked in week 6"
    )
