"""The task boards: a project's and the one across a PM's projects; a card placed through the workflow table
(allowed moves land, a forbidden one is refused and changes nothing), places renumbered within and across
columns, who may see and who may move, the "Move to" menu without scripts, htmx answers, fixed queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.urls import reverse

from apm.errors import Refused
from projects.common import workflow
from projects.common.workflow import TransitionError
from projects.models import Task, TaskStatus
from projects.planning import board, services
from tests import factories
from tests.test_html import Page, problems

ALL_STATES = [state for state, _label in TaskStatus.choices]


def _column(project, status: str) -> list[str]:
    return list(
        Task.objects.filter(project=project, status=status).order_by("position", "pk").values_list("title", flat=True)
    )


def _reach(task: Task, user, status: str) -> Task:
    """Move ``task`` to ``status`` along allowed moves (through the services, as its history would show)."""
    path = {
        TaskStatus.TO_DO: [],
        TaskStatus.IN_PROGRESS: ["in_progress"],
        TaskStatus.IN_REVIEW: ["in_progress", "in_review"],
        TaskStatus.BLOCKED: ["blocked"],
        TaskStatus.DONE: ["in_progress", "in_review", "done"],
    }[TaskStatus(status)]
    for to in path:
        services.task_move(task=task, user=user, to=to)
    return task


def _make(project, pm, *titles: str, **extra) -> list[Task]:
    return [services.task_create(project=project, user=pm, title=title, **extra) for title in titles]


def _snapshot(project) -> list[tuple]:
    return sorted(Task.objects.filter(project=project).values_list("pk", "status", "position", "updated_at"))


def _history(project) -> int:
    return Task.history.filter(project_id=project.pk).count()


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL_STATES, ALL_STATES)))
def test_it_places_a_card_through_the_workflow_table(pm, project, current, target):
    (task,) = _make(project, pm, "Cut the trailer")
    _reach(task, pm, current)
    before, history = _snapshot(project), _history(project)
    allowed = target in workflow.TASK.next_states(current)
    if allowed:
        board.task_place(task=task, user=pm, status=target, position=0)
        task.refresh_from_db()
        assert task.status == target
        assert task.history.first().history_change_reason.startswith("status:")
    elif current == target:
        board.task_place(task=task, user=pm, status=target, position=0)  # put back where it was: nothing
        assert (_snapshot(project), _history(project)) == (before, history)
    else:
        with pytest.raises(TransitionError) as refused:
            board.task_place(task=task, user=pm, status=target, position=0)
        assert "cannot go from" in refused.value.message
        assert (_snapshot(project), _history(project)) == (before, history)


def test_it_refuses_a_forbidden_move_with_the_message_and_changes_nothing(client, pm, project):
    _first, card, _last = _make(project, pm, "Book the studio", "Cut the trailer", "Grade the film")
    client.force_login(pm)
    before, history = _snapshot(project), _history(project)
    url = reverse("projects:task_place", args=[project.code, card.pk])
    response = client.post(url, {"status": "done", "position": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Task {card.reference} (Cut the trailer) cannot go from to do to done" in html
    assert "from here it can go to: blocked, in progress" in html
    assert 'data-hx-swap-oob="innerHTML"' in html
    assert (_snapshot(project), _history(project)) == (before, history)
    assert _column(project, "to_do") == ["Book the studio", "Cut the trailer", "Grade the film"]
    # The card is drawn where it is stored: second of To do.
    to_do = html[html.index('data-status="to_do"') : html.index('data-status="in_progress"')]
    assert to_do.index("Book the studio") < to_do.index("Cut the trailer") < to_do.index("Grade the film")
    # Without htmx: back to the board with the message.
    response = client.post(url, {"status": "done"}, follow=True)
    assert "cannot go from to do to done" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("projects:tasks_board", args=[project.code])
    assert (_snapshot(project), _history(project)) == (before, history)


def test_it_refuses_junk_and_changes_nothing(client, pm, project):
    (card,) = _make(project, pm, "Cut the trailer")
    client.force_login(pm)
    before = _snapshot(project)
    url = reverse("projects:task_place", args=[project.code, card.pk])
    for data in ({"status": "gone"}, {"status": "in_progress", "position": "-1"}, {"position": "1e99"}, {}):
        assert client.post(url, data).status_code == 302, data
        assert "Nothing changed" in client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert _snapshot(project) == before
    with pytest.raises(Refused):
        board.task_place(task=card, user=pm, status="in_progress", position=-1)
    assert _snapshot(project) == before


def test_it_renumbers_places_within_a_column(pm, project):
    a, b, c, d = _make(project, pm, "A", "B", "C", "D")
    board.task_place(task=a, user=pm, status="to_do", position=2)
    assert _column(project, "to_do") == ["B", "C", "A", "D"]
    board.task_place(task=d, user=pm, status="to_do", position=0)
    assert _column(project, "to_do") == ["D", "B", "C", "A"]
    board.task_place(task=b, user=pm, status="to_do", position=None)
    assert _column(project, "to_do") == ["D", "C", "A", "B"]
    board.task_place(task=c, user=pm, status="to_do", position=99)
    assert _column(project, "to_do") == ["D", "A", "B", "C"]
    positions = Task.objects.filter(project=project).order_by("position").values_list("position", flat=True)
    assert list(positions) == [0, 1, 2, 3]


def test_it_renumbers_places_across_columns(pm, project):
    a, b, c = _make(project, pm, "A", "B", "C")
    x, y = _make(project, pm, "X", "Y")
    for task in (x, y):
        services.task_move(task=task, user=pm, to="in_progress")
    board.task_place(task=b, user=pm, status="in_progress", position=1)
    assert _column(project, "to_do") == ["A", "C"]
    assert _column(project, "in_progress") == ["X", "B", "Y"]
    board.task_place(task=a, user=pm, status="in_progress", position=0)
    assert _column(project, "in_progress") == ["A", "X", "B", "Y"]
    board.task_place(task=c, user=pm, status="in_progress", position=None)
    assert _column(project, "in_progress") == ["A", "X", "B", "Y", "C"]
    assert _column(project, "to_do") == []
    stored = Task.objects.filter(status="in_progress").order_by("position").values_list("title", "position")
    assert list(stored) == [("A", 0), ("X", 1), ("B", 2), ("Y", 3), ("C", 4)]


@time_machine.travel(dt.datetime(2025, 6, 25, 9, tzinfo=dt.UTC), tick=False)
def test_it_shows_the_board_in_workflow_order_with_the_cards_facts(client, member, pm, project, deliverable, mo):
    late, soon = _make(project, pm, "Cut the trailer", "Grade the film", deliverable=deliverable, assignees=[mo])
    services.task_update(task=late, user=pm, due_date=dt.date(2025, 6, 20), priority="urgent")
    services.task_update(task=soon, user=pm, due_date=dt.date(2025, 7, 9))
    services.checklist_item_add(task=late, user=pm, text="Music cleared")
    (review,) = _make(project, pm, "Write the script")
    _reach(review, pm, "in_review")
    client.force_login(member)
    html = client.get(reverse("projects:tasks_board", args=[project.code])).content.decode()
    labels = [html.index(f">{label} <span") for label in ("To do", "In progress", "In review", "Blocked", "Done")]
    assert labels == sorted(labels)
    assert labels[0] < html.index("Cut the trailer") < html.index("Grade the film") < labels[1]
    assert labels[2] < html.index("Write the script") < labels[3]
    assert "Overdue since 20 Jun 2025" in html
    assert "Due 9 Jul 2025" in html
    assert "Urgent priority" in html
    assert "checklist 0/1" in html
    assert "Launch video" in html
    assert "Mo Member" in html
    assert late.reference in html
    # The "Move to" menu offers the moves the workflow allows from the card's state.
    menu = html[html.index(f'id="move-{late.pk}"') :]
    menu = menu[: menu.index("</select>")]
    assert ">In progress<" in menu
    assert ">Blocked<" in menu
    assert ">Done<" not in menu
    assert 'data-board=""' in html  # the drag is on
    assert "vendor/sortablejs/Sortable.min." in html
    assert "js/board." in html
    assert problems(Page(html)) == []
    # The list and the board link to each other.
    assert reverse("projects:tasks", args=[project.code]) in html
    listing = client.get(reverse("projects:tasks", args=[project.code])).content.decode()
    assert reverse("projects:tasks_board", args=[project.code]) in listing


def test_it_filters_the_board_and_keeps_places_counted_over_every_task(client, pm, project, deliverable, mo):
    _make(project, pm, "Book the studio")
    (mine,) = _make(project, pm, "Cut the trailer", assignees=[mo], deliverable=deliverable)
    client.force_login(pm)
    url = reverse("projects:tasks_board", args=[project.code])
    html = client.get(url, {"assignee": mo.pk}).content.decode()
    assert "Book the studio" not in html
    assert f'data-task="{mine.pk}" data-project="{project.pk}" data-index="1"' in html
    html = client.get(url, {"deliverable": deliverable.pk}).content.decode()
    assert "Cut the trailer" in html
    assert "Book the studio" not in html
    html = client.get(url, {"assignee": "junk"}).content.decode()  # ignored
    assert "Cut the trailer" in html
    assert "Book the studio" in html
    # A move from a filtered board comes back to it, filters kept.
    place = reverse("projects:task_place", args=[project.code, mine.pk])
    response = client.post(f"{place}?assignee={mo.pk}", {"status": "in_progress"})
    assert response.url == f"{url}?assignee={mo.pk}"
    assert Task.objects.get(pk=mine.pk).status == "in_progress"


def test_it_moves_a_card_with_the_menu_without_scripts(client, member, pm, project):
    _a, b = _make(project, pm, "A", "B")
    client.force_login(member)
    url = reverse("projects:task_place", args=[project.code, b.pk])
    response = client.post(url, {"status": "to_do", "position": "0"}, follow=True)
    assert "B stays to do, place 1 of its column." in response.content.decode()
    assert _column(project, "to_do") == ["B", "A"]
    response = client.post(url, {"status": "in_progress", "position": ""}, follow=True)
    assert "B is now in progress, place 1 of its column." in response.content.decode()
    assert Task.objects.get(pk=b.pk).history.first().history_user == member


def test_it_answers_htmx_with_the_board_and_the_message(client, pm, project):
    _a, b = _make(project, pm, "A", "B")
    client.force_login(pm)
    url = reverse("projects:task_place", args=[project.code, b.pk])
    response = client.post(url, {"status": "in_progress", "position": "0"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert f'data-placed="{b.pk}"' in html
    assert "B is now in progress, place 1 of its column." in html
    assert "<html" not in html
    # Nothing left over for the next page.
    assert (
        "B is now in progress" not in client.get(reverse("projects:tasks_board", args=[project.code])).content.decode()
    )


def test_it_shows_a_reporting_head_the_board_without_drag_or_menu_and_refuses_their_post(
    client, outside_head, pm, project
):
    (card,) = _make(project, pm, "Cut the trailer")
    client.force_login(outside_head)
    html = client.get(reverse("projects:tasks_board", args=[project.code])).content.decode()
    assert "Cut the trailer" in html
    assert "data-board" not in html
    assert "Move to" not in html
    assert "js/board." not in html
    assert problems(Page(html)) == []
    url = reverse("projects:task_place", args=[project.code, card.pk])
    assert client.post(url, {"status": "in_progress"}).status_code == 404
    assert Task.objects.get().status == "to_do"
    with pytest.raises(Refused):
        board.task_place(task=card, user=outside_head, status="in_progress")


@pytest.mark.parametrize("who", ["client_user", "other_client_user", "other_pm"])
def test_it_answers_404_to_clients_and_outsiders_and_changes_nothing(client, request, pm, project, who):
    (card,) = _make(project, pm, "Cut the trailer")
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("projects:tasks_board", args=[project.code])).status_code == 404
    for data in ({"status": "in_progress"}, {}):
        response = client.post(reverse("projects:task_place", args=[project.code, card.pk]), data)
        assert response.status_code == 404
    assert _snapshot(project)[0][1:3] == ("to_do", 0)


def test_it_answers_another_projects_task_with_404(client, pm, project, world):
    other = factories.ProjectFactory(code="ALPHA-2", project_manager=pm)
    (card,) = _make(other, pm, "Elsewhere")
    client.force_login(pm)
    url = reverse("projects:task_place", args=[project.code, card.pk])
    assert client.post(url, {"status": "in_progress"}).status_code == 404
    assert Task.objects.get().status == "to_do"


@time_machine.travel(dt.datetime(2025, 6, 25, 9, tzinfo=dt.UTC), tick=False)
def test_it_shows_the_board_across_the_pms_projects(client, pm, member, project, world):
    other = factories.ProjectFactory(code="ALPHA-2", name="Second", project_manager=pm)
    _make(project, pm, "Cut the trailer")
    (done,) = _make(other, pm, "Ship it")
    _reach(done, pm, "done")
    _make(world["beta_project"], factories.UserFactory(username="beta_pm", is_superuser=True), "Not yours")
    client.force_login(pm)
    desk = client.get(reverse("projects:desk")).content.decode()
    url = reverse("projects:tasks_board_all")
    assert url in desk
    html = client.get(url).content.decode()
    assert "Cut the trailer" in html
    assert "Ship it" in html
    assert "Not yours" not in html
    assert ">ALPHA-2<" in html
    assert ">ALPHA-1<" in html
    assert problems(Page(html)) == []
    html = client.get(url, {"project": other.pk}).content.decode()
    assert "Ship it" in html
    assert "Cut the trailer" not in html
    html = client.get(url, {"project": world["beta_project"].pk}).content.decode()  # not theirs: ignored
    assert "Not yours" not in html
    # A card moved on it answers with the same board.
    (card,) = Task.objects.filter(title="Cut the trailer")
    response = client.post(
        reverse("projects:task_place", args=[project.code, card.pk]),
        {"status": "in_progress", "position": "0", "board": "all"},
        headers={"HX-Request": "true"},
    )
    assert "Ship it" in response.content.decode()
    response = client.post(
        reverse("projects:task_place", args=[project.code, card.pk]), {"status": "in_review", "board": "all"}
    )
    assert response.url == url


def test_it_offers_a_head_the_board_of_their_departments_projects(client, head, pm, project):
    _make(project, pm, "Cut the trailer")
    client.force_login(head)
    url = reverse("projects:tasks_board_all")
    assert url in client.get(reverse("projects:desk")).content.decode()
    assert "Cut the trailer" in client.get(url).content.decode()


def test_it_says_plainly_when_the_user_runs_no_project(client, member, other_pm, world):
    for user in (member, other_pm):
        client.force_login(user)
        assert reverse("projects:tasks_board_all") not in client.get(reverse("projects:desk")).content.decode()
        html = client.get(reverse("projects:tasks_board_all")).content.decode()
        assert "You run no projects" in html
        assert problems(Page(html)) == []


def test_it_keeps_the_board_across_projects_from_clients(client, client_user, world):
    client.force_login(client_user)
    assert client.get(reverse("projects:tasks_board_all")).status_code == 404


def _grow(project, pm, deliverable, mo, n: int) -> None:
    for i in range(n):
        task = services.task_create(
            project=project, user=pm, title=f"Task {i}", deliverable=deliverable, assignees=[mo], due_date=None
        )
        services.checklist_item_add(task=task, user=pm, text=f"Check {i}")
        if i % 3 == 1:
            Task.objects.filter(pk=task.pk).update(status=ALL_STATES[i % 5])


@pytest.mark.parametrize(
    ("page", "expected"), [("project", 10), ("project_filtered", 11), ("across", 9), ("across_filtered", 10)]
)
def test_it_shows_10_and_300_tasks_in_the_same_number_of_queries(
    client, pm, project, deliverable, mo, django_assert_num_queries, page, expected
):
    url, query = {
        "project": (reverse("projects:tasks_board", args=[project.code]), {}),
        "project_filtered": (reverse("projects:tasks_board", args=[project.code]), {"assignee": mo.pk}),
        "across": (reverse("projects:tasks_board_all"), {}),
        "across_filtered": (reverse("projects:tasks_board_all"), {"project": project.pk}),
    }[page]
    client.force_login(pm)
    _grow(project, pm, deliverable, mo, 10)
    client.get(url, query)
    with django_assert_num_queries(expected):
        response = client.get(url, query)
    assert response.content.decode().count('class="board-card card"') == 10
    _grow(project, pm, deliverable, mo, 290)
    with django_assert_num_queries(expected):
        response = client.get(url, query)
    assert response.content.decode().count('class="board-card card"') == 300


def test_it_shows_the_done_tasks_of_the_last_month_across_projects_and_all_on_the_projects_board(client, pm, project):
    (recent,) = _make(project, pm, "Shipped last week")
    (old,) = _make(project, pm, "Shipped last spring")
    for task in (recent, old):
        _reach(task, pm, "done")
    Task.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2025, 4, 1, tzinfo=dt.UTC))
    client.force_login(pm)

    across = client.get(reverse("projects:tasks_board_all")).content.decode()
    own = client.get(reverse("projects:tasks_board", args=[project.code])).content.decode()

    assert "Shipped last week" in across
    assert "Shipped last spring" not in across
    assert "finished in the last 30 days" in across
    assert "Shipped last week" in own
    assert "Shipped last spring" in own
