"""The plan: dependencies through the task services, task_reschedule pushing successors with history, undo
(refused once a task changed since), a deliverable's bar through the delivery services with its baseline left
alone, who may see and change it, and the page in a fixed number of queries at 10 and 300 tasks."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apm.errors import Refused
from projects.delivery import services as delivery_services
from projects.models import DeliverableBaseline, Task
from projects.planning import plan, services
from tests.test_html import Page, problems


def june(day: int) -> dt.date:
    return dt.date(2026, 6, day)


@pytest.fixture
def chain(project, deliverable, pm):
    """A (1-3 June) → B (4-5 June) → C (8-9 June), and D (10 June) after C; all under "Launch video"."""

    def make(title: str, start: dt.date, due: dt.date, after: list[Task]) -> Task:
        return services.task_create(
            project=project,
            user=pm,
            title=title,
            deliverable=deliverable,
            start_date=start,
            due_date=due,
            depends_on=after,
        )

    a = make("Write the script", june(1), june(3), [])
    b = make("Shoot", june(4), june(5), [a])
    c = make("Edit", june(8), june(9), [b])
    d = make("Grade", june(10), june(10), [c])
    return a, b, c, d


def _dates(task: Task) -> tuple[dt.date | None, dt.date | None]:
    task.refresh_from_db()
    return task.start_date, task.due_date


def test_it_records_the_predecessors_and_refuses_a_loop_naming_it(chain, pm):
    a, b, c, _ = chain
    assert list(b.depends_on.all()) == [a]
    assert b.history.first().history_change_reason == f"created; depends on: {a.reference}"
    with pytest.raises(Refused, match=f"loop: {a.reference} → {b.reference} → {c.reference} → {a.reference}"):
        services.task_update(task=a, user=pm, depends_on=[c])
    assert list(a.depends_on.all()) == []
    with pytest.raises(Refused, match="cannot depend on itself"):
        services.task_update(task=a, user=pm, depends_on=[a])
    services.task_update(task=c, user=pm, depends_on=[a, b])
    assert c.history.first().history_change_reason == f"edited; depends on: {a.reference}, {b.reference}"


def test_it_refuses_a_predecessor_of_another_project(chain, pm, world, admin_user):
    other = Task.objects.create(project=world["beta_project"], title="Elsewhere")
    with pytest.raises(Refused, match="belongs to another project"):
        services.task_update(task=chain[0], user=admin_user, depends_on=[other])


def test_it_offers_the_projects_other_tasks_in_the_form_and_lists_them_on_the_task(client, pm, chain):
    a, b, c, _ = chain
    client.force_login(pm)
    url = reverse("projects:task_edit", args=[a.project.code, b.pk])
    data = {"title": "Shoot", "priority": "normal", "depends_on": [str(a.pk), str(c.pk)]}
    html = client.post(url, data).content.decode()
    assert "would make a loop" in html
    assert f"{b.reference} → {c.reference} → {b.reference}" in html
    html = client.get(reverse("projects:task", args=[a.project.code, b.pk])).content.decode()
    assert f'href="/projects/{a.project.code}/tasks/{a.pk}/"' in html
    assert f"{c.reference} Edit" in html


def test_it_moves_a_task_and_pushes_its_successors_with_history(chain, pm):
    a, b, c, d = chain
    moved = plan.task_reschedule(task=a, user=pm, start_date=june(3), due_date=june(5))
    assert [(m.task.reference, m.pushed) for m in moved] == [(a.reference, False), (b.reference, True)]
    assert _dates(a) == (june(3), june(5))
    assert _dates(b) == (june(6), june(7))
    # C starts on the 8th, the day after B's new end: it stays; a day more and it goes, and D with it.
    assert _dates(c) == (june(8), june(9))
    assert b.history.first().history_change_reason == f"pushed by {a.reference} moving 2 days"
    moved = plan.task_reschedule(task=a, user=pm, start_date=june(4), due_date=june(6))
    assert [m.task.reference for m in moved] == [a.reference, b.reference, c.reference, d.reference]
    assert _dates(c) == (june(9), june(10))
    assert _dates(d) == (june(11), june(11))
    assert d.history.first().history_change_reason == f"pushed by {a.reference} moving 1 day"
    assert a.history.first().history_change_reason == "dates: 04 Jun to 06 Jun 2026 (was 03 Jun to 05 Jun 2026)"


def test_it_pushes_the_successors_by_the_same_amount_keeping_their_gaps(chain, pm):
    a, b, c, d = chain
    # A four days later ends on the 7th: B (from the 4th) is pushed four days; C, two days after B, then starts
    # before B's new end and follows by the same four days, keeping its two days' gap; D after it too.
    moved = plan.task_reschedule(task=a, user=pm, start_date=june(5), due_date=june(7))
    assert [(m.task.reference, m.days) for m in moved] == [
        (a.reference, 4),
        (b.reference, 4),
        (c.reference, 4),
        (d.reference, 4),
    ]
    assert [_dates(t) for t in chain] == [
        (june(5), june(7)),
        (june(8), june(9)),
        (june(12), june(13)),
        (june(14), june(14)),
    ]
    assert c.history.first().history_change_reason == f"pushed by {a.reference} moving 4 days"
    # Moved back earlier, it pulls nothing with it.
    moved = plan.task_reschedule(task=a, user=pm, start_date=june(1), due_date=june(3))
    assert [m.task.reference for m in moved] == [a.reference]
    assert _dates(b) == (june(8), june(9))


def test_it_pushes_only_the_successors_that_would_start_too_early(chain, pm):
    a, b, c, _d = chain
    moved = plan.task_reschedule(task=a, user=pm, start_date=june(2), due_date=june(4))
    assert [m.task.reference for m in moved] == [a.reference, b.reference]
    assert _dates(b) == (june(5), june(6))
    assert _dates(c) == (june(8), june(9))
    assert c.history.count() == 1


def test_it_undoes_a_change_and_refuses_once_a_task_changed_since(chain, pm):
    a, b, c, d = chain
    moved = plan.task_reschedule(task=a, user=pm, start_date=june(5), due_date=june(7))
    lines = [plan.undo_line(m.undo_value) for m in moved]
    assert _dates(d) == (june(14), june(14))
    plan.task_reschedule_undo(project=a.project, user=pm, lines=lines)
    assert [_dates(t) for t in chain] == [
        (june(1), june(3)),
        (june(4), june(5)),
        (june(8), june(9)),
        (june(10), june(10)),
    ]
    assert d.history.first().history_change_reason == "undo: dates back to 10 Jun 2026"

    moved = plan.task_reschedule(task=a, user=pm, start_date=june(5), due_date=june(7))
    lines = [plan.undo_line(m.undo_value) for m in moved]
    services.task_update(task=Task.objects.get(pk=c.pk), user=pm, due_date=june(20))
    with pytest.raises(Refused, match=f"{c.reference} .* has changed since"):
        plan.task_reschedule_undo(project=a.project, user=pm, lines=lines)
    assert _dates(a) == (june(5), june(7))
    assert _dates(b) == (june(8), june(9))


def test_it_moves_a_deliverable_through_its_services_leaving_the_baseline(project, deliverable, pm):
    baseline = delivery_services.schedule_baseline_set(project=project, user=pm, reason="Signed plan")
    kept = DeliverableBaseline.objects.get(baseline=baseline, deliverable=deliverable)
    before = deliverable.history.count()
    plan.deliverable_reschedule(
        deliverable=deliverable, user=pm, start_date=dt.date(2025, 3, 1), due_date=dt.date(2025, 7, 15)
    )
    deliverable.refresh_from_db()
    assert (deliverable.start_date, deliverable.due_date) == (dt.date(2025, 3, 1), dt.date(2025, 7, 15))
    assert deliverable.history.count() == before + 1
    row = DeliverableBaseline.objects.get(pk=kept.pk)
    assert (row.start_date, row.due_date) == (dt.date(2025, 2, 1), dt.date(2025, 6, 30))


def test_it_shows_the_plan_with_the_critical_path_and_moves_from_the_date_form(client, pm, chain):
    a, b, c, _d = chain
    project = a.project
    client.force_login(pm)
    url = reverse("projects:plan", args=[project.code])
    html = client.get(url).content.decode()
    assert 'id="plan-data"' in html
    assert "plan-critical" in html
    assert problems(Page(html)) == []
    response = client.post(
        reverse("projects:plan_task_dates", args=[project.code, b.pk]),
        {"start_date": "2026-06-05", "due_date": "2026-06-08"},
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Moved:" in html
    assert "Undo" in html
    # B's end three days later: C, which started the day after it, follows three days.
    assert _dates(c) == (june(11), june(12))
    undo = re.findall(r'name="move" value="([^"]+)"', html)
    assert len(undo) == 3
    client.post(reverse("projects:plan_undo", args=[project.code]), {"move": undo})
    assert _dates(b) == (june(4), june(5))
    assert _dates(c) == (june(8), june(9))


def test_it_answers_a_drag_in_json_and_refuses_in_words(client, pm, chain):
    a = chain[0]
    client.force_login(pm)
    url = reverse("projects:plan_task_dates", args=[a.project.code, a.pk])
    answer = client.post(url, {"start_date": "2026-06-09", "due_date": "2026-06-02"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400
    assert "The start is after the due date" in answer.json()["message"]
    answer = client.post(url, {"start_date": "2026-06-02", "due_date": "2026-06-04"}, HTTP_ACCEPT="application/json")
    assert answer.json() == {"ok": True, "message": ""}
    assert _dates(a) == (june(2), june(4))


@pytest.mark.parametrize("who", ["client_user", "other_pm"])
def test_it_hides_the_plan_from_clients_and_outsiders(client, request, chain, who):
    a = chain[0]
    client.force_login(request.getfixturevalue(who))
    code = a.project.code
    assert client.get(reverse("projects:plan", args=[code])).status_code == 404
    response = client.post(reverse("projects:plan_task_dates", args=[code, a.pk]), {"start_date": "2026-06-02"})
    assert response.status_code == 404
    assert _dates(a) == (june(1), june(3))


def test_it_refuses_a_member_moving_a_deliverable(client, member, chain, deliverable):
    client.force_login(member)
    code = deliverable.project.code
    assert client.get(reverse("projects:plan", args=[code])).status_code == 200
    url = reverse("projects:plan_deliverable_dates", args=[code, deliverable.pk])
    assert client.post(url, {"due_date": "2025-08-01"}).status_code == 404
    deliverable.refresh_from_db()
    assert deliverable.due_date == dt.date(2025, 6, 30)


def test_it_refuses_a_member_without_edit_rights_in_the_service(chain, outside_head):
    with pytest.raises(Refused, match="may change its tasks"):
        plan.task_reschedule(task=chain[0], user=outside_head, start_date=june(2), due_date=june(4))
    assert _dates(chain[0]) == (june(1), june(3))


def _grow(project, deliverable, n: int) -> None:
    """``n`` dated tasks, each after the one before (half under the deliverable), written directly: fast."""
    tasks = Task.objects.bulk_create(
        Task(
            project=project,
            deliverable=deliverable if i % 2 else None,
            title=f"Step {i}",
            start_date=june(1) + dt.timedelta(days=i),
            due_date=june(1) + dt.timedelta(days=i),
        )
        for i in range(n)
    )
    Link = Task.depends_on.through
    Link.objects.bulk_create(Link(from_task=after, to_task=before) for before, after in itertools.pairwise(tasks))


def test_it_shows_the_plan_of_10_and_300_tasks_in_the_same_number_of_queries(
    client, pm, project, deliverable, django_assert_num_queries
):
    client.force_login(pm)
    url = reverse("projects:plan", args=[project.code])
    _grow(project, deliverable, 10)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        html = client.get(url).content.decode()
    assert "Step 9" in html
    Task.objects.all().delete()
    _grow(project, deliverable, 300)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert "Step 299" in html
    assert len(small.captured_queries) == 8


def test_it_names_the_tasks_left_out_for_want_of_dates_and_offers_members_the_task_rows_only(
    client, member, pm, chain, project
):
    services.task_create(project=project, user=pm, title="Find a composer")
    client.force_login(member)
    html = client.get(reverse("projects:plan", args=[project.code])).content.decode()
    assert "Left out of the chart and the critical path, without dates:" in html
    assert "Find a composer" in html
    a = chain[0]
    assert f'action="/projects/{project.code}/plan/tasks/{a.pk}/dates/"' in html
    assert "/plan/deliverables/" not in html


def test_it_moves_a_dragged_deliverable_through_the_endpoint_leaving_the_baseline(client, pm, project, deliverable):
    baseline = delivery_services.schedule_baseline_set(project=project, user=pm, reason="Signed plan")
    before = deliverable.history.count()
    client.force_login(pm)
    url = reverse("projects:plan_deliverable_dates", args=[project.code, deliverable.pk])
    answer = client.post(url, {"start_date": "2025-02-08", "due_date": "2025-07-07"}, HTTP_ACCEPT="application/json")
    assert answer.json() == {"ok": True, "message": ""}
    deliverable.refresh_from_db()
    assert (deliverable.start_date, deliverable.due_date) == (dt.date(2025, 2, 8), dt.date(2025, 7, 7))
    assert deliverable.history.count() == before + 1
    assert deliverable.history.first().history_user == pm
    row = DeliverableBaseline.objects.get(baseline=baseline, deliverable=deliverable)
    assert (row.start_date, row.due_date) == (dt.date(2025, 2, 1), dt.date(2025, 6, 30))
    answer = client.post(url, {"start_date": "2025-02-08"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400
    assert answer.json()["message"] == "Nothing changed: due_date: This field is required."


def test_it_shows_the_date_form_a_hundred_rows_a_page_and_comes_back_to_the_page_saved_from(
    client, pm, project, deliverable
):
    _grow(project, deliverable, 250)
    client.force_login(pm)
    url = reverse("projects:plan", args=[project.code])

    third = client.get(url, {"page": "3"}).content.decode()

    assert "Rows 201\u2013251 of 251" in third  # the deliverable and its 250 tasks
    assert 'href="?page=2"' in third
    actions = re.findall(r'action="(/projects/[^"]+/plan/tasks/(\d+)/dates/\?page=3)"', third)
    assert len(actions) == 51
    action, pk = actions[0]
    response = client.post(action, {"start_date": "2026-09-01", "due_date": "2026-09-02"})
    assert response.status_code == 302
    assert response["Location"] == url + "?page=3"
    assert (
        client.post(
            reverse("projects:plan_task_dates", args=[project.code, pk]) + "?page=../x",
            {"start_date": "2026-09-01", "due_date": "2026-09-02"},
        )["Location"]
        == url
    )


def test_it_refuses_in_words_a_push_past_the_last_date_and_an_undo_with_reversed_dates(client, pm, chain):
    a, b, *_ = chain
    client.force_login(pm)
    response = client.post(
        reverse("projects:plan_task_dates", args=[a.project.code, a.pk]),
        {"start_date": "9999-12-20", "due_date": "9999-12-30"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "past the last date there is" in response.json()["message"]
    assert _dates(a) == (june(1), june(3))
    assert _dates(b) == (june(4), june(5))
    reversed_old = f"{a.pk}:2026-06-09:2026-06-01:2026-06-01:2026-06-03"
    response = client.post(reverse("projects:plan_undo", args=[a.project.code]), {"move": [reversed_old]})
    assert response.status_code == 302
    assert _dates(a) == (june(1), june(3))
    assert "Nothing was undone" in client.get(response["Location"]).content.decode()
