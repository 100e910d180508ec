"""The thread of an anchor: what each reader sees, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.common.client_view import ClientComment, problems
from projects.conversation.selectors import THREAD_QUERIES, comment_thread, portal_threads
from projects.conversation.services import comment_create, comment_delete, comment_edit
from tests.projects.conversation.conftest import pdf

pytestmark = pytest.mark.django_db


def grow(deliverable, pm, member, n: int) -> None:
    """``n`` comments, each edited, mentioning someone, with a file; every other one visible to the client."""
    for i in range(n):
        comment = comment_create(
            anchor=deliverable,
            author=member if i % 2 else pm,
            body=f"Note {i} for @member and @pm",
            visibility="client" if i % 2 == 0 else "internal",
            files=[pdf()],
        ).comment
        comment_edit(comment=comment, user=comment.author, body=f"Note {i}, edited, for @member and @pm")


@pytest.mark.parametrize("count", [1, 5])
def test_it_reads_a_thread_in_a_fixed_number_of_queries(deliverable, pm, member, count, django_assert_num_queries):
    grow(deliverable, pm, member, count)
    with django_assert_num_queries(THREAD_QUERIES):
        thread = comment_thread(anchor=deliverable, user=pm)
    assert len(thread.comments) == count
    assert all(len(item.versions) == 1 for item in thread.comments)
    assert all(item.attachments for item in thread.comments)


def test_it_shows_the_deliverable_page_with_1_and_5_comments_in_the_same_queries(
    client, deliverable, pm, member, django_assert_num_queries
):
    url = f"/projects/ALPHA-1/deliverables/{deliverable.pk}/"
    grow(deliverable, pm, member, 1)
    client.force_login(pm)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(deliverable, pm, member, 4)
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Earlier versions (1)") == 5


def test_it_lets_each_reader_act_only_on_their_own(deliverable, pm, member):
    grow(deliverable, pm, member, 2)
    mine, theirs = comment_thread(anchor=deliverable, user=member).comments
    assert (mine.may_edit, mine.may_delete) == (False, False)  # the PM's
    assert (theirs.may_edit, theirs.may_delete) == (True, True)
    # The PM edits the project: they may delete the member's comment, not edit it.
    _first, second = comment_thread(anchor=deliverable, user=pm).comments
    assert (second.may_edit, second.may_delete) == (False, True)


def test_it_shows_the_client_only_their_comments_as_declared(deliverable, pm, member, client_user):
    grow(deliverable, pm, member, 3)
    gone = comment_create(anchor=deliverable, author=pm, body="Withdrawn", visibility="client").comment
    comment_delete(comment=gone, user=pm)
    threads = portal_threads(
        project=deliverable.project, user=client_user, deliverables=[deliverable.pk], change_requests=[]
    )
    shown = threads["deliverable"][deliverable.pk]
    assert [c["body"] for c in shown] == [
        "Note 0, edited, for @member and @pm",
        "Note 2, edited, for @member and @pm",
        "",
    ]
    assert shown[-1]["deleted"]
    assert shown[-1]["files"] == []
    for value in shown:
        assert problems(value, ClientComment) == []
    # The client's thread is empty in the internal thread's sense too: no internal comment.
    assert comment_thread(anchor=deliverable, user=client_user).comments[0].comment.visibility == "client"
