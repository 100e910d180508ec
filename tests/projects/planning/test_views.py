"""Task pages: who sees them (404 for clients and outsiders), who may change tasks (404 for the rest), the
filters, moves offered only as the workflow allows, forms that refuse bad input, fixed queries, valid HTML, and
"My tasks" on the desk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Task, TaskChecklistItem, TaskStatus
from projects.planning import services
from tests import factories
from tests.test_html import Page, problems


def _pages(task: Task) -> list[str]:
    code = task.project.code
    return [
        reverse("projects:tasks", args=[code]),
        reverse("projects:task", args=[code, task.pk]),
        reverse("projects:deliverable", args=[code, task.deliverable_id]),
    ]


def _edit_pages(task: Task) -> list[str]:
    code = task.project.code
    return [reverse("projects:task_create", args=[code]), reverse("projects:task_edit", args=[code, task.pk])]


def _actions(task: Task) -> list[tuple[str, dict[str, str]]]:
    code, item = task.project.code, task.checklist.get()
    return [
        (reverse("projects:task_create", args=[code]), {"title": "Sneaky", "priority": "normal"}),
        (reverse("projects:task_edit", args=[code, task.pk]), {"title": "Sneaky", "priority": "normal"}),
        (reverse("projects:task_move", args=[code, task.pk]), {"to": "in_progress"}),
        (reverse("projects:task_reorder", args=[code, task.pk]), {"position": "3"}),
        (reverse("projects:task_checklist_add", args=[code, task.pk]), {"text": "Sneaky"}),
        (reverse("projects:task_checklist_tick", args=[code, task.pk, item.pk]), {"done": "1"}),
        (reverse("projects:task_checklist_remove", args=[code, task.pk, item.pk]), {}),
        (reverse("projects:task_delete", args=[code, task.pk]), {}),
    ]


@pytest.fixture
def ticked(task, pm):
    services.checklist_item_add(task=task, user=pm, text="Music cleared")
    return task


@pytest.mark.parametrize("who", ["pm", "member", "head", "admin_user"])
def test_it_shows_the_pages_and_the_forms_to_those_who_may_edit(client, request, ticked, who):
    client.force_login(request.getfixturevalue(who))
    for url in _pages(ticked) + _edit_pages(ticked):
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("projects:task", args=[ticked.project.code, ticked.pk])).content.decode()
    assert "Remove this task" in html
    assert "Music cleared" in html


def test_it_shows_a_reporting_head_the_tasks_without_the_forms(client, outside_head, ticked):
    client.force_login(outside_head)
    for url in _pages(ticked):
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("projects:task", args=[ticked.project.code, ticked.pk])).content.decode()
    assert "Remove this task" not in html
    assert "Start work" not in html
    for url in _edit_pages(ticked):
        assert client.get(url).status_code == 404, url
    for url, data in _actions(ticked):
        assert client.post(url, data).status_code == 404, url


@pytest.mark.parametrize("who", ["client_user", "other_client_user", "other_pm"])
def test_it_answers_404_to_clients_and_outsiders_and_changes_nothing(client, request, ticked, who):
    client.force_login(request.getfixturevalue(who))
    for url in _pages(ticked) + _edit_pages(ticked):
        assert client.get(url).status_code == 404, url
    for url, data in _actions(ticked):
        assert client.post(url, data).status_code == 404, url
    task = Task.objects.get()
    assert (task.title, task.status, task.position) == ("Cut the trailer", "to_do", 0)
    assert list(task.checklist.values_list("text", "done")) == [("Music cleared", False)]


def test_it_offers_only_the_moves_the_workflow_allows(client, member, task):
    client.force_login(member)
    url = reverse("projects:task", args=[task.project.code, task.pk])
    html = client.get(url).content.decode()
    assert "Start work" in html
    assert ">Blocked<" in html
    assert ">Done<" not in html
    assert "Send to review" not in html
    response = client.post(
        reverse("projects:task_move", args=[task.project.code, task.pk]), {"to": "done"}, follow=True
    )
    assert "cannot go from to do to done; from here it can go to: blocked, in progress" in response.content.decode()
    assert Task.objects.get().status == "to_do"
    client.post(reverse("projects:task_move", args=[task.project.code, task.pk]), {"to": "in_progress"})
    assert Task.objects.get().status == "in_progress"
    html = client.get(url).content.decode()
    assert "Send to review" in html
    assert "Back to to do" in html


def test_it_creates_a_task_from_the_deliverables_page(client, member, project, deliverable, mo):
    client.force_login(member)
    page = client.get(reverse("projects:deliverable", args=[project.code, deliverable.pk])).content.decode()
    assert "Add a task" in page
    response = client.post(
        reverse("projects:task_create", args=[project.code]),
        {
            "title": "Record the voice-over",
            "deliverable": str(deliverable.pk),
            "assignees": [str(mo.pk)],
            "estimate_hours": "4.5",
            "due_date": "2025-06-10",
            "priority": "high",
            "back": "deliverable",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("projects:deliverable", args=[project.code, deliverable.pk])
    task = Task.objects.get()
    assert (task.deliverable, task.estimate_hours, task.priority) == (deliverable, Decimal("4.5"), "high")
    assert list(task.assignees.all()) == [mo]
    page = client.get(response.url).content.decode()
    assert "Record the voice-over" in page


def test_it_shows_form_errors_and_changes_nothing(client, member, project, task):
    client.force_login(member)
    stranger = factories.TeamMemberFactory(name="Sam Stranger")
    for url in _edit_pages(task):
        for data in (
            {"title": "", "priority": "normal"},
            {"title": "T", "priority": "soon"},
            {"title": "T", "priority": "normal", "start_date": "2025-07-01", "due_date": "2025-06-01"},
            {"title": "T", "priority": "normal", "estimate_hours": "-3"},
            {"title": "T", "priority": "normal", "estimate_hours": "NaN"},
            {"title": "T", "priority": "normal", "assignees": [str(stranger.pk)]},
            {"title": "T", "priority": "normal", "deliverable": "99999999999999999999"},
            {"title": "T", "priority": "normal", "due_date": "2025-02-30"},
        ):
            response = client.post(url, data)
            assert response.status_code == 200, (url, data)
            assert problems(Page(response.content.decode())) == []
    task = Task.objects.get()
    assert (task.title, task.priority, task.estimate_hours) == ("Cut the trailer", "normal", Decimal("10"))


def test_it_answers_junk_in_urls_and_actions_without_a_500(client, member, project, ticked):
    client.force_login(member)
    code = project.code
    item = ticked.checklist.get()
    assert client.get(f"/projects/{code}/tasks/99999999999999999999/").status_code == 404
    assert client.get(f"/projects/{code}/tasks/?status=nope&assignee=x&deliverable=-1").status_code == 200
    assert client.get(f"/projects/{code}/tasks/{ticked.pk}/checklist/{item.pk + 1000}/tick/").status_code == 405
    assert client.post(f"/projects/{code}/tasks/{ticked.pk}/checklist/{item.pk + 1000}/tick/").status_code == 404
    for url, data in (
        (reverse("projects:task_move", args=[code, ticked.pk]), {"to": "gone"}),
        (reverse("projects:task_reorder", args=[code, ticked.pk]), {"position": "-1"}),
        (reverse("projects:task_reorder", args=[code, ticked.pk]), {"position": "1e99"}),
        (reverse("projects:task_checklist_add", args=[code, ticked.pk]), {"text": "x" * 301}),
        (reverse("projects:task_checklist_add", args=[code, ticked.pk]), {"text": ""}),
    ):
        assert client.post(url, data).status_code == 302, url
    task = Task.objects.get()
    assert (task.status, task.position) == ("to_do", 0)
    assert task.checklist.count() == 1


def test_it_ticks_the_checklist_with_htmx(client, member, project, ticked):
    client.force_login(member)
    item = ticked.checklist.get()
    url = reverse("projects:task_checklist_tick", args=[project.code, ticked.pk, item.pk])
    response = client.post(url, {"done": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="checklist"')
    assert "Ticked" in html
    assert TaskChecklistItem.objects.get().done
    client.post(url, {})
    assert not TaskChecklistItem.objects.get().done


def test_it_filters_the_list_and_sorts_it_by_due_date(client, pm, project, deliverable, mo, task):
    services.task_create(project=project, user=pm, title="Book the studio", due_date=dt.date(2025, 6, 1))
    services.task_create(project=project, user=pm, title="Write the script", assignees=[mo])
    client.force_login(pm)
    url = reverse("projects:tasks", args=[project.code])
    html = client.get(url).content.decode()
    assert html.index("Book the studio") < html.index("Cut the trailer") < html.index("Write the script")
    html = client.get(url, {"assignee": mo.pk}).content.decode()
    assert "Book the studio" not in html
    assert "Cut the trailer" in html
    assert "Write the script" in html
    html = client.get(url, {"deliverable": deliverable.pk}).content.decode()
    assert "Cut the trailer" in html
    assert "Write the script" not in html
    services.task_move(task=task, user=pm, to=TaskStatus.BLOCKED)
    html = client.get(url, {"status": "blocked"}).content.decode()
    assert "Cut the trailer" in html
    assert "Book the studio" not in html
    assert problems(Page(html)) == []


def _grow(project, deliverable, pm, mo, n: int) -> None:
    for i in range(n):
        task = services.task_create(
            project=project, user=pm, title=f"Task {i}", deliverable=deliverable, assignees=[mo], due_date=None
        )
        services.checklist_item_add(task=task, user=pm, text=f"Check {i}")


@pytest.mark.parametrize("page", ["tasks", "deliverable", "task"])
def test_it_shows_3_and_30_tasks_in_the_same_number_of_queries(
    client, pm, project, deliverable, mo, task, django_assert_num_queries, page
):
    url = {
        "tasks": reverse("projects:tasks", args=[project.code]),
        "deliverable": reverse("projects:deliverable", args=[project.code, deliverable.pk]),
        "task": reverse("projects:task", args=[project.code, task.pk]),
    }[page]

    def grow(n: int) -> None:
        _grow(project, deliverable, pm, mo, n)
        for i in range(n):  # the task page grows by its checklist
            services.checklist_item_add(task=task, user=pm, text=f"Line {i}")

    client.force_login(pm)
    grow(2)  # with the fixture's: 3
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    assert problems(Page(response.content.decode())) == []
    grow(27)  # 30
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert ("Line 26" if page == "task" else "Task 26") in response.content.decode()


@time_machine.travel(dt.datetime(2025, 6, 25, 9, tzinfo=dt.UTC), tick=False)
def test_it_shows_my_tasks_on_the_desk_overdue_first(client, member, pm, project, mo, task):
    services.task_create(project=project, user=pm, title="Grade the film", assignees=[mo], due_date=dt.date(2025, 7, 9))
    done = services.task_create(project=project, user=pm, title="Brief the editor", assignees=[mo])
    for to in ("in_progress", "in_review", "done"):
        services.task_move(task=done, user=pm, to=to)
    client.force_login(member)
    html = client.get(reverse("projects:desk")).content.decode()
    assert "My tasks" in html
    assert html.index("Cut the trailer") < html.index("Grade the film")
    assert "overdue since 20 Jun" in html
    assert "Brief the editor" not in html
    assert problems(Page(html)) == []
    client.force_login(pm)
    assert "My tasks" not in client.get(reverse("projects:desk")).content.decode()


@time_machine.travel(dt.datetime(2025, 6, 25, 9, tzinfo=dt.UTC), tick=False)
def test_it_shows_a_head_their_own_tasks_on_the_heads_desk(client, head, pm, project):
    heads_person = factories.TeamMemberFactory(name="Hal Head", user=head)
    project.team_members.add(heads_person)
    services.task_create(project=project, user=pm, title="Approve the cut", assignees=[heads_person])
    client.force_login(head)
    response = client.get(reverse("projects:desk"))
    assert "projects/desk/head.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert "My tasks" in html
    assert "Approve the cut" in html
    assert problems(Page(html)) == []


def test_it_lists_the_tasks_a_hundred_a_page_keeping_the_filters(client, pm, project, mo):
    Task.objects.bulk_create(Task(project=project, title=f"Imported {n:03d}", status="to_do") for n in range(101))
    client.force_login(pm)
    url = reverse("projects:tasks", args=[project.code])

    first = client.get(url, {"status": "to_do"}).content.decode()
    second = client.get(url, {"status": "to_do", "page": "2"}).content.decode()

    assert first.count("Imported ") == 100
    assert "Tasks 1\u2013100 of 101" in first
    assert 'href="?status=to_do&amp;page=2"' in first
    assert second.count("Imported ") == 1
    assert "Tasks 101\u2013101 of 101" in second
    assert problems(Page(second)) == []
