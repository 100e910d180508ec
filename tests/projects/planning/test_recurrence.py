"""Recurring tasks: the repeat rules (parse, print, refuse, next dates) and the next occurrence of a task, made
exactly once whether the task is done, falls due, or both, and however many runs see it."""

from __future__ import annotations

import datetime as dt

import pytest

from apm.errors import Refused
from projects.planning import recurrence
from projects.planning.recurrence import LAST, MONTHLY, WEEKLY, YEARLY, Rule, next_after, occurrence_after, parse

D = dt.date

# --- The rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "printed", "words"),
    [
        ("FREQ=DAILY", "FREQ=DAILY;INTERVAL=1", "Every day"),
        ("FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;INTERVAL=3", "Every 3 days"),
        (
            "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH",
            "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH",
            "Every week on Monday and Thursday",
        ),
        (
            "rrule:byday=fr,mo,we;freq=weekly;interval=2",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
            "Every 2 weeks on Monday, Wednesday and Friday",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1", "Every month on the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1", "Every month on the 1st"),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=22",
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=22",
            "Every 3 months on the 22nd",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=13", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=13", "Every month on the 13th"),
        ("FREQ=YEARLY", "FREQ=YEARLY;INTERVAL=1", "Every year"),
    ],
)
def test_it_reads_prints_and_words_the_rules_of_the_subset(text, printed, words):
    rule = parse(text)
    assert str(rule) == printed
    assert rule.description == words
    assert parse(printed) == rule


def test_it_reads_a_blank_rule_as_none():
    assert parse("") is None
    assert parse("   ") is None
    assert recurrence.describe("") == ""


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("FREQ=WEEKLY", "Say on which days of the week it repeats."),
        ("FREQ=MONTHLY", "Say on which day of the month it repeats"),
        ("FREQ=HOURLY", "A task repeats daily, weekly, monthly or yearly."),
        ("FREQ=DAILY;COUNT=3", "no COUNT or UNTIL"),
        ("FREQ=DAILY;UNTIL=20270101", "no COUNT or UNTIL"),
        ("FREQ=MONTHLY;BYDAY=1MO", "“1MO” is not a day of the week"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "A day of the month is 1 to 31, or the last day."),
        ("FREQ=MONTHLY;BYMONTHDAY=-2", "only the last (BYMONTHDAY=-1)"),
        ("FREQ=MONTHLY;BYMONTHDAY=x", "BYMONTHDAY is a whole number, not “X”."),
        ("FREQ=YEARLY;BYMONTH=3", "BYMONTH is not supported"),
        ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR", "BYSETPOS is not supported"),
        ("FREQ=DAILY;INTERVAL=0", "Repeat every 1 to 99 days."),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice."),
        ("INTERVAL=2", "names its frequency"),
        ("FREQ=DAILY;BYDAY=MO", "Only a weekly repeat is on days of the week."),
        ("FREQ=WEEKLY;BYDAY=MO;BYMONTHDAY=3", "Only a monthly repeat is on a day of the month."),
        ("every monday", "is not a part of a repeat rule"),
    ],
)
def test_it_refuses_a_rule_outside_the_subset_with_a_sentence(text, sentence):
    with pytest.raises(Refused, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


@pytest.mark.parametrize(
    ("rule", "after", "expected"),
    [
        (Rule.make(freq=MONTHLY, monthday=LAST), D(2027, 1, 31), D(2027, 2, 28)),
        (Rule.make(freq=MONTHLY, monthday=LAST), D(2028, 1, 31), D(2028, 2, 29)),
        (Rule.make(freq=MONTHLY, monthday=LAST), D(2027, 2, 28), D(2027, 3, 31)),
        (Rule.make(freq=MONTHLY, monthday=LAST), D(2027, 4, 10), D(2027, 4, 30)),
        # The 31st: months without one are skipped (RFC 5545), the last day is the rule for month ends.
        (Rule.make(freq=MONTHLY, monthday=31), D(2027, 1, 31), D(2027, 3, 31)),
        (Rule.make(freq=MONTHLY, monthday=31), D(2027, 3, 31), D(2027, 5, 31)),
        (Rule.make(freq=MONTHLY, monthday=30), D(2027, 1, 30), D(2027, 3, 30)),
        (Rule.make(freq=MONTHLY, monthday=15), D(2027, 1, 20), D(2027, 2, 15)),
        (Rule.make(freq=MONTHLY, interval=3, monthday=1), D(2027, 1, 1), D(2027, 4, 1)),
        (Rule.make(freq=WEEKLY, weekdays=[0, 3]), D(2027, 1, 4), D(2027, 1, 7)),  # Monday -> Thursday
        (Rule.make(freq=WEEKLY, weekdays=[0, 3]), D(2027, 1, 7), D(2027, 1, 11)),  # Thursday -> Monday
        (Rule.make(freq=WEEKLY, interval=2, weekdays=[0]), D(2027, 1, 4), D(2027, 1, 18)),
        (Rule.make(freq="DAILY"), D(2027, 12, 31), D(2028, 1, 1)),
        (Rule.make(freq=YEARLY), D(2027, 3, 15), D(2028, 3, 15)),
        (Rule.make(freq=YEARLY), D(2028, 2, 29), D(2032, 2, 29)),
    ],
)
def test_it_finds_the_next_date(rule, after, expected):
    assert next_after(rule, after) == expected


def test_it_counts_weeks_from_the_anchor_when_catching_up():
    every_other_monday = Rule.make(freq=WEEKLY, interval=2, weekdays=[0])
    # From Monday 4 Jan, the first date after Tuesday 12 Jan is Monday 18 Jan, not Monday 11 Jan.
    assert occurrence_after(every_other_monday, anchor=D(2027, 1, 4), after=D(2027, 1, 12)) == D(2027, 1, 18)
