"""Task services: the workflow's moves (a refused one changes nothing), assignees of the team only, who may
change tasks, the checklist, ordering, and a deliverable's progress from its tasks' estimates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.budget.services.costs import time_entry_record
from projects.common import workflow
from projects.common.workflow import TransitionError
from projects.delivery.services import deliverable_update
from projects.models import Deliverable, Task, TaskStatus, TimeEntry
from projects.planning import services
from projects.planning.selectors import my_tasks
from teams.services import member_rate_set
from tests import factories

ALL_MOVES = [(a, b) for a in TaskStatus.values for b in TaskStatus.values if a != b]


def _put(task: Task, status: str) -> None:
    Task.objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()


@pytest.mark.parametrize(("current", "target"), ALL_MOVES)
def test_it_moves_a_task_only_as_the_workflow_allows(task, pm, current, target):
    _put(task, current)
    before = task.history.count()
    if target in workflow.TASK.table[current]:
        services.task_move(task=task, user=pm, to=target)
        assert Task.objects.get(pk=task.pk).status == target
        assert task.history.count() == before + 1
    else:
        with pytest.raises(TransitionError, match=f"cannot go from {TaskStatus(current).label.lower()}"):
            services.task_move(task=task, user=pm, to=target)
        assert Task.objects.get(pk=task.pk).status == current
        assert task.history.count() == before


def test_it_names_the_allowed_moves_when_refusing_one(task, pm):
    with pytest.raises(TransitionError) as refused:
        services.task_move(task=task, user=pm, to=TaskStatus.DONE)
    assert refused.value.message == (
        f"Task {task.reference} (Cut the trailer) cannot go from to do to done; from here it can go to: blocked, "
        "in progress."
    )
    with pytest.raises(TransitionError, match="already to do"):
        services.task_move(task=task, user=pm, to=TaskStatus.TO_DO)
    with pytest.raises(TransitionError, match="Unknown state"):
        services.task_move(task=task, user=pm, to="finished")


def test_it_assigns_only_people_of_the_team(task, pm, mo):
    stranger = factories.TeamMemberFactory(name="Sam Stranger")
    with pytest.raises(Refused, match="Only people on the team of ALPHA-1 may be assigned; not on it: Sam Stranger"):
        services.task_assign(task=task, user=pm, assignees=[mo, stranger])
    assert list(task.assignees.all()) == [mo]
    with pytest.raises(Refused, match="not on it: Sam Stranger"):
        services.task_update(task=task, user=pm, title="Renamed", assignees=[stranger])
    task.refresh_from_db()
    assert task.title == "Cut the trailer"
    with pytest.raises(Refused, match="not on it"):
        services.task_create(project=task.project, user=pm, title="New", assignees=[stranger])
    assert Task.objects.count() == 1
    services.task_assign(task=task, user=pm, assignees=[])
    assert not task.assignees.exists()


@pytest.mark.parametrize("who", ["admin_user", "pm", "head", "member"])
def test_it_lets_the_team_the_pm_heads_and_administrators_change_tasks(request, project, deliverable, who):
    user = request.getfixturevalue(who)
    task = services.task_create(project=project, user=user, title="Storyboard", deliverable=deliverable)
    services.task_update(task=task, user=user, estimate_hours=Decimal("3"))
    services.task_move(task=task, user=user, to=TaskStatus.IN_PROGRESS)
    item = services.checklist_item_add(task=task, user=user, text="Shots listed")
    services.checklist_item_tick(item=item, user=user, done=True)
    assert task.checklist.get().done
    services.task_delete(task=task, user=user)
    assert not Task.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize("who", ["client_user", "other_client_user", "outside_head", "other_pm"])
def test_it_refuses_everyone_else(request, task, who):
    user = request.getfixturevalue(who)
    item = services.checklist_item_add(task=task, user=task.project.project_manager, text="Music cleared")
    attempts = [
        lambda: services.task_create(project=task.project, user=user, title="Sneaky"),
        lambda: services.task_update(task=task, user=user, title="Sneaky"),
        lambda: services.task_assign(task=task, user=user, assignees=[]),
        lambda: services.task_move(task=task, user=user, to=TaskStatus.IN_PROGRESS),
        lambda: services.task_reorder(task=task, user=user, position=0),
        lambda: services.checklist_item_add(task=task, user=user, text="Sneaky"),
        lambda: services.checklist_item_tick(item=item, user=user, done=True),
        lambda: services.checklist_item_remove(item=item, user=user),
        lambda: services.task_delete(task=task, user=user),
    ]
    for attempt in attempts:
        with pytest.raises(Refused, match="Only the project's team"):
            attempt()
    task.refresh_from_db()
    assert (task.title, task.status, task.assignees.count()) == ("Cut the trailer", TaskStatus.TO_DO, 1)
    assert Task.objects.count() == 1
    assert list(task.checklist.values_list("text", "done")) == [("Music cleared", False)]


def test_it_refuses_bad_values_and_changes_nothing(task, pm, world):
    other = factories.DeliverableFactory(project=world["beta_project"])
    for changes, message in (
        ({"title": "  "}, "Give the task a title"),
        ({"deliverable": other}, "another project"),
        ({"estimate_hours": Decimal("-1")}, "0 or more"),
        ({"start_date": dt.date(2025, 7, 1)}, "after the due date"),
        ({"priority": "whenever"}, "Unknown priority"),
        ({"status": "done"}, "Cannot change status"),
    ):
        with pytest.raises(Refused, match=message):
            services.task_update(task=task, user=pm, **changes)
    task.refresh_from_db()
    assert (task.title, task.start_date, task.priority, task.status) == ("Cut the trailer", None, "normal", "to_do")
    with pytest.raises(Refused, match="a title"):
        services.task_create(project=task.project, user=pm, title="")
    with pytest.raises(Refused, match="at most 300"):
        services.task_create(project=task.project, user=pm, title="x" * 301)
    assert Task.objects.count() == 1


def test_it_reorders_a_column(project, pm):
    a, b, c = (services.task_create(project=project, user=pm, title=t) for t in "ABC")
    assert [t.position for t in (a, b, c)] == [0, 1, 2]
    services.task_reorder(task=c, user=pm, position=0)
    column = list(Task.objects.filter(project=project, status="to_do").order_by("position").values_list("title"))
    assert column == [("C",), ("A",), ("B",)]
    services.task_reorder(task=c, user=pm, position=99)
    column = list(Task.objects.filter(project=project, status="to_do").order_by("position").values_list("title"))
    assert column == [("A",), ("B",), ("C",)]
    with pytest.raises(Refused):
        services.task_reorder(task=c, user=pm, position=-1)
    # A move puts the task last of its new column.
    services.task_move(task=a, user=pm, to=TaskStatus.IN_PROGRESS)
    services.task_move(task=b, user=pm, to=TaskStatus.IN_PROGRESS)
    b.refresh_from_db()
    assert b.position == 1


def test_it_keeps_the_checklist_in_the_tasks_history(task, member):
    item = services.checklist_item_add(task=task, user=member, text="Music cleared")
    services.checklist_item_tick(item=item, user=member, done=True)
    services.checklist_item_remove(item=item, user=member)
    reasons = list(task.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-3:] == [
        "checklist: added 'Music cleared'",
        "checklist: ticked 'Music cleared'",
        "checklist: removed 'Music cleared'",
    ]
    with pytest.raises(Refused, match="Say what"):
        services.checklist_item_add(task=task, user=member, text="   ")


def _percent(deliverable: Deliverable) -> int:
    deliverable.refresh_from_db()
    return deliverable.percent_complete


def _done(task: Task, user) -> None:
    for to in (TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW, TaskStatus.DONE):
        services.task_move(task=task, user=user, to=to)


def test_it_sets_a_deliverables_progress_from_its_tasks_estimates_when_the_setting_is_on(
    settings, project, deliverable, pm, task
):
    settings.APM_DELIVERABLE_PROGRESS_FROM_TASKS = True
    other = services.task_create(
        project=project, user=pm, title="Subtitle", deliverable=deliverable, estimate_hours=Decimal("30")
    )
    assert _percent(deliverable) == 0
    _done(task, pm)  # 10 of 40 hours
    assert _percent(deliverable) == 25
    services.task_update(task=other, user=pm, estimate_hours=Decimal("5"))  # 10 of 15
    assert _percent(deliverable) == 67
    services.task_update(task=other, user=pm, deliverable=None)  # 10 of 10
    assert _percent(deliverable) == 100
    services.task_move(task=task, user=pm, to=TaskStatus.IN_PROGRESS)  # reopened: 0 of 10
    assert _percent(deliverable) == 0
    assert deliverable.history.filter(history_change_reason="progress from its tasks").exists()


def test_it_leaves_a_deliverables_progress_alone_when_the_setting_is_off(settings, deliverable, pm, task):
    settings.APM_DELIVERABLE_PROGRESS_FROM_TASKS = False
    _done(task, pm)
    assert _percent(deliverable) == 0
    assert services.deliverable_progress_from_tasks(deliverable=deliverable) == 100


def test_it_refuses_time_on_a_task_of_another_project(world, project, mo, member, task):
    member_rate_set(member=mo, cost_rate=Decimal("40.00"), bill_rate=Decimal("80.00"), valid_from=dt.date(2024, 1, 1))
    beta = world["beta_project"]
    beta.team_members.add(mo)
    beta.currency = project.currency
    beta.save(update_fields=["currency"])
    with pytest.raises(Refused, match="a task of another project, not of BETA-1"):
        time_entry_record(member=mo, project=beta, date=dt.date(2025, 6, 2), hours=Decimal("2"), task=task)
    assert not TimeEntry.objects.exists()
    entry = time_entry_record(member=mo, project=project, date=dt.date(2025, 6, 2), hours=Decimal("2"), task=task)
    assert entry.task == task


def test_it_lists_my_open_tasks_overdue_first(project, deliverable, pm, member, mo, task, client_user):
    today = dt.date(2025, 6, 25)
    soon = services.task_create(
        project=project, user=pm, title="Grade", assignees=[mo], due_date=dt.date(2025, 6, 28), priority="urgent"
    )
    undated = services.task_create(project=project, user=pm, title="Archive", assignees=[mo])
    done = services.task_create(project=project, user=pm, title="Brief", assignees=[mo], due_date=dt.date(2025, 6, 1))
    _done(done, pm)
    services.task_create(project=project, user=pm, title="Not mine", due_date=dt.date(2025, 6, 1))
    assert my_tasks(user=member, today=today) == [task, soon, undated]
    assert my_tasks(user=pm, today=today) == []
    # Off the team, their tasks leave their desk with the project.
    project.team_members.remove(mo)
    assert my_tasks(user=member, today=today) == []
    assert my_tasks(user=client_user, today=today) == []


def test_it_refuses_a_percent_by_hand_while_it_follows_the_tasks(settings, deliverable, pm, task):
    settings.APM_DELIVERABLE_PROGRESS_FROM_TASKS = True
    with pytest.raises(Refused, match=r"follows this deliverable's tasks \(0% of their estimate is done\)"):
        deliverable_update(deliverable=deliverable, user=pm, percent_complete=50)
    assert _percent(deliverable) == 0
    deliverable_update(deliverable=deliverable, user=pm, name="Launch film", percent_complete=0)  # unchanged: fine
    settings.APM_DELIVERABLE_PROGRESS_FROM_TASKS = False
    deliverable_update(deliverable=deliverable, user=pm, percent_complete=50)
    assert _percent(deliverable) == 50
