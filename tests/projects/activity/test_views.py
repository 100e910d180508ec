"""The activity feed page: who did what on a project, for those who see its internal pages, money only to
those who see money, fifty a page in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects.activity.selectors import PER_PAGE
from projects.changes import services as change_services
from projects.common.history import history_save
from projects.models import (
    ClauseChangeProposal,
    Comment,
    CommentVisibility,
    Document,
    NonConformance,
    QualityReview,
    Task,
    TaskStatus,
)
from projects.planning import services as task_services
from projects.raid import services as raid_services
from tests import factories

pytestmark = pytest.mark.django_db


def feed(client, user, project, **params):
    """The page's entries as ``client`` signed in as ``user`` sees them (the view's context)."""
    client.force_login(user)
    response = client.get(reverse("projects:activity", args=[project.code]), params)
    assert response.status_code == 200
    return response, response.context["page"].entries


def sentences(entries) -> list[str]:
    return [entry.sentence for entry in entries]


def test_it_tells_who_created_moved_changed_and_deleted_a_task(client, pm, project):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        task = task_services.task_create(project=project, user=pm, title="Draft brief")
        clock.shift(60)
        task_services.task_move(task=task, user=pm, to=TaskStatus.IN_PROGRESS)
        clock.shift(60)
        task = task_services.task_update(task=task, user=pm, title="Draft the brief")
        clock.shift(60)
        reference = task.reference
        task_services.task_delete(task=task, user=pm)
    _response, entries = feed(client, pm, project, kind="task")
    assert sentences(entries) == [
        f"{pm} deleted task {reference} 'Draft the brief'",
        f"{pm} changed task {reference} 'Draft the brief'",
        f"{pm} moved task {reference} 'Draft brief' from To do to In progress",
        f"{pm} created task {reference} 'Draft brief'",
    ]
    changed = entries[1]
    assert [(c.label, c.old, c.new) for c in changed.changes] == [("title", "Draft brief", "Draft the brief")]
    assert all(entry.url == "" for entry in entries), "the task is gone: nothing links to a 404"
    assert entries[2].reason == "status: In progress"
    assert entries[2].note == "", "the move says it already"


def test_it_shows_the_reason_of_a_change_only_when_it_adds_words(client, pm, project):
    task = task_services.task_create(project=project, user=pm, title="Draft brief")
    task.description = "Two pages"
    history_save(task, user=pm, reason="the client asked for a shorter brief")
    _response, entries = feed(client, pm, project, kind="task")
    assert entries[0].note == "the client asked for a shorter brief"
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [("description", "", "Two pages")]


def test_it_names_apm_for_a_change_no_one_made_and_links_what_still_exists(client, pm, project, deliverable):
    deliverable.percent_complete = 40
    history_save(deliverable, user=None, reason="progress follows its tasks")
    _response, entries = feed(client, pm, project, kind="deliverable")
    assert entries[0].sentence == f"APM changed deliverable D-{deliverable.pk} 'Launch video'"
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [("percent complete", 0, 40)]
    assert entries[1].sentence == f"{pm} created deliverable D-{deliverable.pk} 'Launch video'"
    assert client.get(entries[0].url).status_code == 200


def test_it_tells_every_kind_with_a_link_that_opens(client, pm, member, project, deliverable):
    change = change_services.change_request_create(
        project=project, user=pm, title="Extra cut", description="A shorter edit.", reason="The client asked."
    )
    item = raid_services.raid_item_create(
        project=project, kind="risk", user=pm, title="Supplier late", probability=3, impact=4
    )
    clause = factories.ClauseFactory(project=project, title="Permits held")
    letter = factories.CorrespondenceFactory(project=project, subject="Planning consent")
    comment = Comment(project=project, deliverable=deliverable, author=member, body="Looks good to me.\nShip it.")
    history_save(comment, user=member, reason="commented")
    response, entries = feed(client, pm, project)
    said = sentences(entries)
    assert f"{pm} raised change request CR-{change.number} 'Extra cut'" in said
    assert f"{pm} raised risk R-{item.pk} 'Supplier late'" in said
    assert f"APM added clause {clause.number} 'Permits held'" in said
    assert "APM logged correspondence 'Planning consent'" in said
    assert f"{member} commented on deliverable D-{deliverable.pk} 'Launch video'" in said
    commented = next(entry for entry in entries if entry.kind == "comment")
    assert commented.excerpt == "Looks good to me.\nShip it."
    assert "Looks good to me.<br>Ship it." in response.content.decode()
    assert len({entry.url for entry in entries}) == 5, "one page per object: each links its own"
    for entry in entries:
        assert client.get(entry.url).status_code == 200, entry.sentence
    assert letter.subject in response.content.decode()


def test_it_tells_reviews_non_conformances_proposals_and_documents_linking_what_they_belong_to(
    client, pm, project, deliverable
):
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    review = QualityReview(deliverable=deliverable, reviewer=pm, completed_at=now, outcome="failed")
    history_save(review, user=pm, reason="reviewed")
    nc = NonConformance(deliverable=deliverable, title="Subtitles missing", opened_at=now)
    history_save(nc, user=pm, reason="opened")
    nc.status = "closed"
    history_save(nc, user=pm, reason="verified")
    clause = factories.ClauseFactory(project=project, number="4.2")
    proposal = ClauseChangeProposal(
        clause=clause,
        proposed_text="New words",
        reason="Clearer",
        base_version=1,
        old_text=clause.text,
        proposed_by=pm,
        proposed_at=now,
    )
    history_save(proposal, user=pm, reason="proposed")
    document = Document(project=project, kind="contract", title="Master agreement")
    history_save(document, user=pm, reason="registered")
    _response, entries = feed(client, pm, project)
    said = sentences(entries)
    d = f"D-{deliverable.pk}"
    assert f"{pm} recorded a quality review of deliverable {d} 'Launch video'" in said
    assert f"{pm} opened non-conformance NC-{nc.pk} 'Subtitles missing'" in said
    assert f"{pm} moved non-conformance NC-{nc.pk} 'Subtitles missing' from Open to Closed (verified)" in said
    assert f"{pm} proposed a change to clause 4.2" in said
    assert f"{pm} added document 'Master agreement'" in said
    for entry in entries:
        assert client.get(entry.url).status_code == 200, entry.sentence


def test_it_lists_no_time_a_move_stamps(client, pm, project):
    change = change_services.change_request_create(
        project=project, user=pm, title="Extra cut", description="A shorter edit.", reason="The client asked."
    )
    change_services.change_request_submit(change_request=change, user=pm)
    _response, entries = feed(client, pm, project, kind="change")
    moved = f"{pm} moved change request CR-{change.number} 'Extra cut' from Draft to Submitted for approval"
    assert entries[0].sentence == moved
    assert entries[0].changes == [], "submitted at is the entry's own time"


def test_it_tells_a_deleted_comment_without_its_words(client, pm, project, deliverable):
    comment = Comment(
        project=project, deliverable=deliverable, author=pm, body="Secret plan", visibility=CommentVisibility.CLIENT
    )
    history_save(comment, user=pm, reason="commented")
    # A tombstone, as deleting a comment leaves it: the words emptied (saved without the form's validation).
    comment.body, comment.deleted_at, comment.deleted_by = "", dt.datetime(2026, 3, 2, tzinfo=dt.UTC), pm
    history_save(comment, user=pm, reason="deleted", fields=["deleted_at", "deleted_by"])
    Comment.objects.filter(pk=comment.pk).update(body="")
    _response, entries = feed(client, pm, project, kind="comment")
    assert sentences(entries) == [
        f"{pm} deleted a comment on deliverable D-{deliverable.pk} 'Launch video'",
        f"{pm} commented on deliverable D-{deliverable.pk} 'Launch video' (visible to the client)",
    ]
    assert entries[0].excerpt == ""
    assert entries[1].excerpt == "Secret plan"


def test_it_shows_a_change_of_cost_to_those_who_see_money_and_nothing_of_it_to_a_member(client, pm, member, project):
    change = change_services.change_request_create(
        project=project, user=pm, title="Extra cut", description="A shorter edit.", reason="The client asked."
    )
    change.cost_impact = Decimal("98765.43")
    history_save(change, user=pm, reason="costed")
    change.title = "Extra cuts"
    change.cost_impact = Decimal("12345.67")
    history_save(change, user=pm, reason="renamed")
    response, entries = feed(client, pm, project, kind="change")
    assert [c.label for c in entries[0].changes] == ["cost impact (internal)", "title"]
    assert "98765.43" in response.content.decode()
    response, entries = feed(client, member, project, kind="change")
    page = response.content.decode()
    assert "98765" not in page
    assert "12345" not in page
    assert sentences(entries) == [
        f"{pm} changed change request CR-{change.number} 'Extra cuts'",
        f"{pm} raised change request CR-{change.number} 'Extra cut'",
    ], "the change of cost alone is left out; the rename is told without its cost"
    assert [c.label for c in entries[0].changes] == ["title"]


def test_it_answers_404_to_a_client_contact_and_an_outsider(client, project, client_user, other_client_user):
    outsider = factories.UserFactory(username="outsider")
    for user in (client_user, other_client_user, outsider):
        client.force_login(user)
        assert client.get(reverse("projects:activity", args=[project.code])).status_code == 404


def test_it_filters_by_kind_and_person_and_ignores_what_it_cannot_read(client, pm, head, project, deliverable):
    item = raid_services.raid_item_create(
        project=project, kind="risk", user=head, title="Supplier late", probability=3, impact=4
    )
    response, entries = feed(client, pm, project, person=str(head.pk))
    assert sentences(entries) == [f"{head} raised risk R-{item.pk} 'Supplier late'"]
    assert [person.pk for person in response.context["page"].people] == sorted(
        [pm.pk, head.pk], key=lambda pk: str(type(pm).objects.get(pk=pk)).lower()
    )
    _response, entries = feed(client, pm, project, kind="deliverable")
    assert {entry.kind for entry in entries} == {"deliverable"}
    everything = sentences(feed(client, pm, project)[1])
    assert len(everything) == 2
    for bad in (
        {"kind": "budget"},
        {"person": "x"},
        {"person": "-3"},
        {"person": "99999999999999999999"},
        {"before": "yesterday"},
        {"before": "2026-13-45T99:00"},
        {"kind": "\x00", "person": "\x00", "before": "\x00"},
        {"before": "9999-12-31T23:59:59-05:00"},
        {"before": "0001-01-01T00:00:00+05:00"},
    ):
        _response, entries = feed(client, pm, project, **bad)
        assert sentences(entries) == everything, bad
    assert feed(client, pm, project, before="0001-01-01T00:00:00")[1] == [], "nothing happened before then"


def test_it_pages_fifty_at_a_time_by_the_time_of_the_last(client, pm, project):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        for number in range(PER_PAGE + 5):
            factories.RaidItemFactory(project=project, title=f"Risk {number:02d}")
            clock.shift(60)
    response, entries = feed(client, pm, project)
    assert len(entries) == PER_PAGE
    assert entries[0].title == f"Risk {PER_PAGE + 4:02d}"
    older = response.context["older"]
    assert older == (start + dt.timedelta(minutes=5)).isoformat()
    assert "before=2026-03-02T09%3A05%3A00%2B00%3A00" in response.content.decode()
    response, entries = feed(client, pm, project, before=older)
    assert [entry.title for entry in entries] == [f"Risk {n:02d}" for n in (4, 3, 2, 1, 0)]
    assert response.context["older"] == ""
    assert "Newest" in response.content.decode()


def _busy_project(pm, *, size: int):
    """A project of ``size`` tasks, risks, change requests, clauses and letters, each created and changed."""
    project = factories.ProjectFactory(project_manager=pm)
    deliverable = factories.DeliverableFactory(project=project)
    for number in range(size):
        task = Task(project=project, title=f"Task {number}")
        history_save(task, user=pm, reason="created")
        task.status = TaskStatus.IN_PROGRESS
        history_save(task, user=pm, reason="moved")
        item = factories.RaidItemFactory(project=project)
        item.title = f"Risk renamed {number}"
        history_save(item, user=pm, reason="renamed")
        change = change_services.change_request_create(
            project=project, user=pm, title=f"Change {number}", description="d", reason="r"
        )
        change.cost_impact = Decimal(number)
        history_save(change, user=pm, reason="costed")
        factories.ClauseFactory(project=project)
        factories.CorrespondenceFactory(project=project)
        comment = Comment(project=project, deliverable=deliverable, author=pm, body=f"Note {number}")
        history_save(comment, user=pm, reason="commented")
    return project


def test_it_reads_a_page_in_the_same_number_of_queries_for_a_small_and_a_large_project(
    client, pm, member, django_assert_num_queries
):
    small = _busy_project(pm, size=2)
    large = _busy_project(pm, size=40)
    client.force_login(pm)
    url = "projects:activity"
    client.get(reverse(url, args=[small.code]))  # the session and the user's first look-ups
    # Session and user (2), the project (1), its tab capabilities (1), two per kind (22), the people (2).
    with django_assert_num_queries(28):
        small_page = client.get(reverse(url, args=[small.code]))
    with django_assert_num_queries(28):
        large_page = client.get(reverse(url, args=[large.code]))
    assert len(small_page.context["page"].entries) < PER_PAGE
    assert len(large_page.context["page"].entries) == PER_PAGE


def test_it_has_an_index_of_each_project_history_newest_first():
    """Each history table the feed reads by project has (project, newest first): the page reads its newest rows
    in order instead of sorting a project's whole history (migration 0017)."""
    from django.db import connection

    from projects.activity.kinds import KINDS

    with connection.cursor() as cursor:
        for kind in KINDS:
            if kind.project != "project_id":
                continue
            table = kind.model.history.model._meta.db_table  # type: ignore[attr-defined]
            indexes = connection.introspection.get_constraints(cursor, table)
            columns = [spec["columns"] for spec in indexes.values() if spec["index"]]
            assert ["project_id", "history_date", "history_id"] in columns, table
