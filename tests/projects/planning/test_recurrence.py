"""Recurring tasks: the repeat rules (parse, print, refuse, next dates) and the next occurrence of a task, made
exactly once whether the task is done, falls due, or both, and however many runs see it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from apm.errors import Refused
from projects import tasks as projects_tasks
from projects.models import Task, TaskPriority, TaskStatus
from projects.planning import recurrence, recurring, services
from projects.planning.recurrence import LAST, MONTHLY, WEEKLY, YEARLY, Rule, next_after, occurrence_after, parse
from tests.integration.services import unavailable
from tests.races import race
from tests.test_html import Page, problems

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


# --- Repeating tasks ---------------------------------------------------------------------------------

MONTH_END = "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1"


def _at(day: dt.date):
    """Travel to 9:00 UTC of ``day`` (the clock stands still)."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC), tick=False)


def _finish(task: Task, user) -> None:
    for state in (TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW, TaskStatus.DONE):
        services.task_move(task=task, user=user, to=state)


@pytest.fixture
def report_task(project, deliverable, pm, mo):
    """ "Monthly report": repeats on the last day of the month, due 31 Jan 2025 from the 27th, Mo's, 3 hours,
    high priority, with a two-line checklist (one ticked)."""
    with _at(D(2025, 1, 10)):
        task = services.task_create(
            project=project,
            user=pm,
            title="Monthly report",
            description="Figures and narrative.",
            deliverable=deliverable,
            assignees=[mo],
            estimate_hours=Decimal("3"),
            start_date=D(2025, 1, 27),
            due_date=D(2025, 1, 31),
            priority=TaskPriority.HIGH,
            recurrence="FREQ=MONTHLY;BYMONTHDAY=-1",
        )
        first = services.checklist_item_add(task=task, user=pm, text="Figures")
        services.checklist_item_add(task=task, user=pm, text="Narrative")
        services.checklist_item_tick(item=first, user=pm, done=True)
    return task


def test_it_stores_the_rule_as_printed_and_refuses_one_without_a_due_date(project, pm, report_task):
    assert report_task.recurrence == MONTH_END
    with pytest.raises(Refused, match="A repeating task needs a due date"):
        services.task_create(project=project, user=pm, title="Weekly call", recurrence="FREQ=WEEKLY;BYDAY=MO")
    with pytest.raises(Refused, match="Say on which days of the week"):
        services.task_update(task=report_task, user=pm, recurrence="FREQ=WEEKLY")
    report_task.refresh_from_db()
    assert report_task.recurrence == MONTH_END
    assert not Task.objects.filter(title="Weekly call").exists()


def test_it_makes_exactly_one_next_occurrence_when_a_task_is_done(report_task, pm, mo):
    with _at(D(2025, 1, 30)):
        _finish(report_task, pm)
    following = Task.objects.get(recurs_from=report_task)
    assert (following.start_date, following.due_date) == (D(2025, 2, 24), D(2025, 2, 28))
    assert following.status == TaskStatus.TO_DO
    assert (following.title, following.description, following.priority) == (
        "Monthly report",
        "Figures and narrative.",
        TaskPriority.HIGH,
    )
    assert (following.project_id, following.deliverable_id) == (report_task.project_id, report_task.deliverable_id)
    assert following.estimate_hours == Decimal("3")
    assert following.recurrence == MONTH_END
    assert list(following.assignees.all()) == [mo]
    assert list(following.checklist.values_list("text", "done")) == [("Figures", False), ("Narrative", False)]
    entry = following.history.get()
    assert entry.history_user == pm
    assert entry.history_change_reason == f"created: repeats {report_task.reference}, due 31 Jan 2025"
    # Done, back in progress, done again: still the one next occurrence.
    with _at(D(2025, 1, 31)):
        services.task_move(task=report_task, user=pm, to=TaskStatus.IN_PROGRESS)
        services.task_move(task=report_task, user=pm, to=TaskStatus.IN_REVIEW)
        services.task_move(task=report_task, user=pm, to=TaskStatus.DONE)
    assert Task.objects.filter(title="Monthly report").count() == 2


def test_it_makes_the_next_occurrence_once_when_a_task_falls_due_however_many_runs(report_task, pm):
    with _at(D(2025, 1, 31)):
        assert recurring.tasks_repeat_due() == 0  # due today: not fallen due yet
    with _at(D(2025, 2, 1)):
        assert projects_tasks.repeat_due_work() == {"tasks": 1, "obligations": 0}
        assert projects_tasks.repeat_due_work() == {"tasks": 0, "obligations": 0}
    following = Task.objects.get(recurs_from=report_task)
    assert following.due_date == D(2025, 2, 28)
    assert following.history.get().history_user is None
    # Done late, after the run made its next one: nothing more.
    with _at(D(2025, 2, 3)):
        _finish(report_task, pm)
    assert Task.objects.filter(title="Monthly report").count() == 2
    # The next one falls due in its turn: one more, and the chain goes on one at a time.
    with _at(D(2025, 3, 1)):
        assert recurring.tasks_repeat_due() == 1
        assert recurring.tasks_repeat_due() == 0
    assert list(
        Task.objects.filter(title="Monthly report").values_list("due_date", flat=True).order_by("due_date")
    ) == [
        D(2025, 1, 31),
        D(2025, 2, 28),
        D(2025, 3, 31),
    ]


def test_it_stops_the_series_when_its_next_occurrence_is_removed(report_task, pm):
    with _at(D(2025, 2, 1)):
        assert recurring.tasks_repeat_due() == 1
        following = Task.objects.get(recurs_from=report_task)
        reference = following.reference
        services.task_delete(task=following, user=pm)
        # Not made again: removing it said the work does not come round any more.
        assert recurring.tasks_repeat_due() == 0
    report_task.refresh_from_db()
    assert report_task.recurrence == ""
    assert report_task.history.first().history_change_reason == (
        f"stops repeating: its next occurrence {reference} was removed"
    )
    assert Task.objects.filter(title="Monthly report").count() == 1


def test_it_leaves_no_trail_of_overdue_copies_when_found_late(report_task):
    with _at(D(2025, 4, 10)):
        assert recurring.tasks_repeat_due() == 1
    assert Task.objects.get(recurs_from=report_task).due_date == D(2025, 4, 30)


def test_it_counts_the_database_as_the_judge_when_a_run_saw_no_next_occurrence(report_task, monkeypatch):
    with _at(D(2025, 2, 1)):
        assert recurring.task_repeat(task=report_task, user=None) is not None
        # A run that read the task before the other made its next one: its insert fails the constraint, skipped.
        with monkeypatch.context() as patched:
            patched.setattr(recurring.Task.objects, "filter", _no_next_seen(recurring.Task.objects.filter))
            assert recurring.task_repeat(task=report_task, user=None) is None
    assert Task.objects.filter(recurs_from=report_task).count() == 1


def _no_next_seen(real):
    """``Task.objects.filter`` as a run that has not seen the other run's insert: no next occurrence exists."""

    def filtered(*args, **kwargs):
        rows = real(*args, **kwargs)
        return rows.none() if "recurs_from" in kwargs else rows

    return filtered


def test_it_makes_nothing_for_a_task_that_does_not_repeat_or_is_closed(task, pm):
    with _at(D(2025, 7, 1)):
        assert recurring.tasks_repeat_due() == 0
        _finish(task, pm)
    assert Task.objects.count() == 1


def test_it_makes_one_next_occurrence_when_runs_race(transactional_db, report_task):
    if connection.vendor != "postgresql":
        unavailable("the race of runs needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x")
    made: list[int] = []
    errors = race([lambda: made.append(recurring.tasks_repeat_due(today=D(2025, 2, 1)))] * 4)
    assert not errors, errors
    assert sum(made) == 1
    assert Task.objects.filter(recurs_from=report_task).count() == 1


# --- The form and the page ------------------------------------------------------------------------------------


def _edit(client, task, **changes):
    data = {"title": task.title, "priority": task.priority, "due_date": "2025-01-31", "repeats_every": "1", **changes}
    return client.post(reverse("projects:task_edit", args=[task.project.code, task.pk]), data)


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"repeats": "WEEKLY"}, "Say on which days of the week it repeats."),
        ({"repeats": "MONTHLY"}, "Say on which day of the month it repeats"),
        ({"repeats": "DAILY", "repeats_every": "0"}, "greater than or equal to 1"),
        ({"repeats": "HOURLY"}, "Select a valid choice"),
        ({"repeats": "MONTHLY", "repeats_on_day": "32"}, "Select a valid choice"),
        ({"repeats": "WEEKLY", "repeats_on_days": ["7"]}, "Select a valid choice"),
        ({"repeats": "DAILY", "due_date": ""}, "A repeating task needs a due date"),
    ],
)
def test_it_refuses_a_rule_typed_wrong_on_the_form_and_changes_nothing(client, member, task, changes, sentence):
    client.force_login(member)
    response = _edit(client, task, **changes)
    assert response.status_code == 200
    assert sentence in response.content.decode()
    task.refresh_from_db()
    assert (task.recurrence, task.due_date) == ("", D(2025, 6, 20))


def test_it_sets_a_rule_on_the_form_and_shows_it_with_the_occurrences_on_the_page(client, member, task, pm):
    client.force_login(member)
    response = _edit(client, task, repeats="WEEKLY", repeats_on_days=["0", "3"], repeats_on_day="5")
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.recurrence == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH"
    url = reverse("projects:task", args=[task.project.code, task.pk])
    page = client.get(url).content.decode()
    assert "Every week on Monday and Thursday" in page
    assert "The next is made when this one is done or its due date passes." in page
    checked = re.findall(r'<input[^>]* name="repeats_on_days" value="(\d)"[^>]* checked', page)
    assert checked == ["0", "3"]
    with _at(D(2025, 2, 1)):
        recurring.tasks_repeat_due()
    following = Task.objects.get(recurs_from=task)
    assert following.due_date == D(2025, 2, 3)  # the Monday after
    page = client.get(url).content.decode()
    assert f'Next: <a href="{reverse("projects:task", args=[task.project.code, following.pk])}">' in page
    assert problems(Page(page)) == []
    page = client.get(reverse("projects:task", args=[task.project.code, following.pk])).content.decode()
    assert f'Previous: <a href="{url}">{task.reference}, due 31 Jan 2025</a>' in page
    # Cleared: the task no longer repeats.
    assert _edit(client, following, repeats="", due_date="2025-02-03").status_code == 302
    following.refresh_from_db()
    assert following.recurrence == ""
