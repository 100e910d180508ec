"""Writing, editing and deleting comments: who may, what they see, who is notified."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apm import access
from apm.errors import Refused
from projects.conversation.services import MAX_BODY, comment_create, comment_delete, comment_edit
from projects.models import Comment, CommentAttachment, Document, Notification, NotificationKind
from tests import factories
from tests.projects.conversation.conftest import pdf

pytestmark = pytest.mark.django_db


def kinds_of(user) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", "key"))


def test_it_notifies_exactly_the_mentioned_people_who_may_see_an_internal_comment(
    deliverable, pm, member, client_user, outside_head
):
    posted = comment_create(
        anchor=deliverable, author=pm, body="@member and @client and @Outside_Head, see @nobody.", visibility="internal"
    )
    comment = posted.comment
    key = f"mention:comment:{comment.pk}"
    assert kinds_of(member) == [("mention", key)]
    assert kinds_of(outside_head) == [("mention", key)]
    # The client's contact cannot see an internal comment: not notified, the writer told.
    assert kinds_of(client_user) == []
    assert posted.not_notified == [client_user]
    assert posted.unknown == ["nobody"]
    assert set(comment.mentions.all()) == {member, outside_head}
    assert not Notification.objects.filter(recipient=pm).exists()


def test_it_notifies_a_mentioned_contact_of_a_comment_visible_to_the_client(deliverable, pm, client_user):
    posted = comment_create(anchor=deliverable, author=pm, body="@client please look.", visibility="client")
    notification = Notification.objects.get(recipient=client_user)
    assert notification.kind == NotificationKind.MENTION
    # A contact's link is the portal, at the comment.
    assert notification.url == f"/portal/ALPHA-1/#comment-{posted.comment.pk}"
    assert posted.not_notified == []


def test_it_tells_the_owner_of_the_anchor_of_a_comment_but_not_twice_when_mentioned(deliverable, pm, member):
    comment_create(anchor=deliverable, author=member, body="Looks done.", visibility="internal")
    comment = Comment.objects.get()
    assert kinds_of(pm) == [("comment", f"comment:{comment.pk}")]
    second = comment_create(anchor=deliverable, author=member, body="@pm again", visibility="internal").comment
    assert ("comment", f"comment:{second.pk}") not in kinds_of(pm)
    assert ("mention", f"mention:comment:{second.pk}") in kinds_of(pm)


def test_it_lets_a_team_member_comment_on_a_task_but_not_to_the_client(task, member):
    comment = comment_create(anchor=task, author=member, body="  Started.  ", visibility="internal").comment
    assert comment.body == "Started."
    assert comment.task == task
    assert comment.project == task.project
    with pytest.raises(Refused, match="client never sees this task"):
        comment_create(anchor=task, author=member, body="Hi", visibility="client")


def test_it_refuses_a_member_a_comment_visible_to_the_client_on_a_deliverable(deliverable, member):
    with pytest.raises(Refused, match="Only the project manager"):
        comment_create(anchor=deliverable, author=member, body="Hi", visibility="client")
    assert not Comment.objects.exists()


def test_it_makes_a_contacts_comment_visible_to_the_client_always(deliverable, client_user, pm):
    posted = comment_create(anchor=deliverable, author=client_user, body="Before I sign", visibility="internal")
    comment = posted.comment
    assert comment.visibility == "client"
    assert access.see_comment.allows(pm, comment)


def test_it_refuses_a_contact_a_comment_on_a_task_or_another_clients_deliverable(task, client_user, other_client_user):
    with pytest.raises(Refused):
        comment_create(anchor=task, author=client_user, body="Hi", visibility="client")
    other = factories.DeliverableFactory(project=factories.ProjectFactory())
    with pytest.raises(Refused):
        comment_create(anchor=other, author=other_client_user, body="Hi", visibility="client")
    assert not Comment.objects.exists()


def test_it_keeps_an_internal_comment_from_the_client(deliverable, pm, client_user, member):
    internal = comment_create(anchor=deliverable, author=pm, body="Internal", visibility="internal").comment
    shared = comment_create(anchor=deliverable, author=pm, body="Shared", visibility="client").comment
    assert list(access.see_comment.queryset(client_user)) == [shared]
    assert not access.see_comment.allows(client_user, internal)
    assert set(access.see_comment.queryset(member)) == {internal, shared}


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "empty"), ("   \n ", "empty"), ("x" * (MAX_BODY + 1), "at most 10,000 characters")],
)
def test_it_refuses_an_empty_or_too_long_body(deliverable, pm, body, message):
    with pytest.raises(Refused, match=message):
        comment_create(anchor=deliverable, author=pm, body=body, visibility="internal")
    assert not Comment.objects.exists()


def test_it_accepts_a_body_of_exactly_the_longest_length(deliverable, pm):
    comment = comment_create(anchor=deliverable, author=pm, body="x" * MAX_BODY, visibility="internal").comment
    assert len(comment.body) == MAX_BODY


def test_it_keeps_every_edit_in_the_history(deliverable, pm, member):
    comment = comment_create(anchor=deliverable, author=pm, body="First", visibility="internal").comment
    comment_edit(comment=comment, user=pm, body="Second")
    posted = comment_edit(comment=comment, user=pm, body="Third, @member")
    comment.refresh_from_db()
    assert comment.body == "Third, @member"
    assert comment.edited_at is not None
    bodies = [h.body for h in comment.history.order_by("history_date", "history_id")]
    assert bodies == ["First", "Second", "Third, @member"]
    assert posted.notified == [member]
    with pytest.raises(Refused, match="Only the person who wrote"):
        comment_edit(comment=comment, user=member, body="Mine now")
    comment.refresh_from_db()
    assert comment.body == "Third, @member"


def test_it_leaves_a_tombstone_when_a_comment_is_deleted(deliverable, pm, member):
    posted = comment_create(anchor=deliverable, author=member, body="Oops", visibility="internal", files=[pdf()])
    comment = posted.comment
    # The PM edits the project: they may delete anyone's comment there.
    comment_delete(comment=comment, user=pm)
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_by) == ("", pm)
    assert comment.deleted_at is not None
    assert comment.history.order_by("history_date").first().body == "Oops"
    # The file is kept (the history's record), not served: see the views' tests.
    assert CommentAttachment.objects.filter(comment=comment).count() == 1
    with pytest.raises(Refused, match="deleted"):
        comment_edit(comment=comment, user=member, body="Back")


def test_it_refuses_deleting_someone_elses_comment_without_edit_project(deliverable, pm, member):
    comment = comment_create(anchor=deliverable, author=pm, body="Mine", visibility="internal").comment
    with pytest.raises(Refused, match="Only the person who wrote"):
        comment_delete(comment=comment, user=member)
    comment.refresh_from_db()
    assert comment.body == "Mine"


def test_it_stores_a_checked_attachment(deliverable, pm):
    posted = comment_create(anchor=deliverable, author=pm, body="See file", visibility="internal", files=[pdf()])
    comment = posted.comment
    attachment = comment.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("notes.pdf", "application/pdf")
    assert attachment.file.read().startswith(b"%PDF")


def test_it_refuses_a_program_renamed_as_a_pdf_with_the_uploads_message(deliverable, pm):
    program = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf")
    with pytest.raises(Refused, match=r"is not a PDF, PNG, JPEG, Word .* checked by its content"):
        comment_create(anchor=deliverable, author=pm, body="See file", visibility="internal", files=[program])
    assert not Comment.objects.exists()
    assert not CommentAttachment.objects.exists()


def test_it_lets_a_client_visible_comment_only_on_a_document_shared_with_the_client(project, pm, client_user):
    shared = Document.objects.create(project=project, kind="sow", title="SOW", visibility="client", status="approved")
    internal = Document.objects.create(project=project, kind="minutes", title="Minutes")
    comment = comment_create(anchor=shared, author=pm, body="Signed copy attached", visibility="client").comment
    assert access.see_comment.allows(client_user, comment)
    with pytest.raises(Refused, match="client never sees this document"):
        comment_create(anchor=internal, author=pm, body="Hi", visibility="client")
    # Once the shared document is superseded, the client side no longer shows it, nor the comment on it.
    shared.status = "superseded"
    shared.save(update_fields=["status"])
    assert not access.see_comment.allows(client_user, comment)
