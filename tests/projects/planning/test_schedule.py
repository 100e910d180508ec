"""The scheduling module, pure: loops named, the critical path of a worked example, successors pushed."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.planning import schedule


def june(day: int) -> dt.date:
    return dt.date(2026, 6, day)


#: The worked example. Day 0 is 1 June; a task from 1 to 3 June lasts 3 days and finishes at day 3.
#:   A  1-3 Jun  (3 days)
#:   B  4-5 Jun  (2 days) after A
#:   C  4-8 Jun  (5 days) after A
#:   D  9-10 Jun (2 days) after B and C
#:   E  6 Jun    (1 day)  after B
#: Forward pass: A 0-3, B 3-5, C 3-8, D 8-10 (its own start, 9 June, is day 8), E 5-6 (its own start).
#: Backward pass from the end, day 10: D 8-10, E 9-10, B 6-8 (before D's 8 and E's 9), C 3-8, A 0-3.
#: Float: A 0, B 3, C 0, D 0, E 4: the critical path is A → C → D, 10 days.
DATES = {
    "A": (june(1), june(3)),
    "B": (june(4), june(5)),
    "C": (june(4), june(8)),
    "D": (june(9), june(10)),
    "E": (june(6), june(6)),
}
LINKS = [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("B", "E")]


def test_it_finds_the_critical_path_of_the_worked_example():
    path = schedule.critical_path(DATES, LINKS)
    assert path.critical == ["A", "C", "D"]
    assert path.length_days == 10
    assert {node: t.float_days for node, t in path.timings.items()} == {"A": 0, "B": 3, "C": 0, "D": 0, "E": 4}
    assert (path.timings["D"].early_start, path.timings["D"].early_finish) == (8, 10)
    assert (path.timings["B"].late_start, path.timings["B"].late_finish) == (6, 8)
    assert path.timings["C"].duration == 5
    assert path.undated == []


def test_it_leaves_out_tasks_without_dates_and_says_so():
    dates = {**DATES, "F": (None, None), "G": (None, june(12))}
    path = schedule.critical_path(dates, [*LINKS, ("D", "F"), ("F", "G")])
    assert path.undated == ["F"]
    assert "F" not in path.timings
    # G, due alone on 12 June, lasts that one day: it ends the plan, unlinked now that F is left out.
    assert path.timings["G"].duration == 1
    assert path.length_days == 12
    assert path.critical == ["G"]


def test_it_finds_a_loop_and_names_it():
    assert schedule.find_loop([(1, 2), (2, 3)]) is None
    loop = schedule.find_loop([(1, 2), (2, 3), (3, 5), (5, 3)])
    assert loop == [3, 5, 3]
    assert schedule.loop_words(f"T-{n}" for n in loop) == "T-3 → T-5 → T-3"
    assert schedule.find_loop([(4, 4)]) == [4, 4]


def test_it_refuses_the_critical_path_of_a_loop():
    with pytest.raises(ValueError, match="loop: B → E → B"):
        schedule.critical_path(DATES, [*LINKS, ("E", "B")])


def test_it_pushes_the_successors_transitively():
    moves = schedule.successors_push(DATES, LINKS, moved="A", start=june(4), due=june(6))
    got = {m.node: (m.new_start, m.new_due) for m in moves}
    assert moves[0].node == "A"
    assert got == {
        "A": (june(4), june(6)),
        "B": (june(7), june(8)),
        "C": (june(7), june(11)),
        "D": (june(12), june(13)),
        "E": (june(9), june(9)),
    }
    assert all(m.days == 3 for m in moves)


def test_it_pushes_only_those_that_would_start_too_early_by_the_same_amount():
    # B two days later ends on 7 June: D (9 June) still starts after it; E (6 June) is pushed two days too.
    moves = schedule.successors_push(DATES, LINKS, moved="B", start=june(6), due=june(7))
    assert [(m.node, m.new_start, m.new_due) for m in moves] == [("B", june(6), june(7)), ("E", june(8), june(8))]


def test_it_pulls_nothing_earlier_and_leaves_undated_successors_alone():
    dates = {**DATES, "F": (None, None)}
    moves = schedule.successors_push(dates, [*LINKS, ("A", "F")], moved="A", start=june(1), due=june(2))
    assert [m.node for m in moves] == ["A"]


def test_it_keeps_the_gap_of_a_successor_it_pushes():
    # E is a day after B; B ending four days later pushes E four days, still a day after it.
    moves = schedule.successors_push(DATES, LINKS, moved="B", start=june(8), due=june(9))
    assert [(m.node, m.new_start, m.new_due) for m in moves] == [
        ("B", june(8), june(9)),
        ("D", june(13), june(14)),
        ("E", june(10), june(10)),
    ]
