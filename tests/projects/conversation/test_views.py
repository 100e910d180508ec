"""The comment pages: the thread on the detail pages and the portal, posting, editing, deleting, files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apm.outbox.models import OutboundEmail
from projects.conversation.services import comment_create, comment_delete
from projects.models import Comment, Document, Notification, NotificationPreference
from tests import factories
from tests.projects.conversation.conftest import pdf

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_it_lets_a_client_comment_on_a_deliverable_before_signing_it_off_and_tells_the_pm_as_they_chose(
    client, deliverable, client_user, pm, django_capture_on_commit_callbacks, published
):
    NotificationPreference.objects.create(user=pm, kind="comment", channel="email")
    client.force_login(client_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/portal/ALPHA-1/comments/deliverable/{deliverable.pk}/",
            {"body": "The colours are off on page 3: can you fix before I sign?"},
        )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/ALPHA-1/#comment-{comment.pk}"
    assert (comment.visibility, comment.author, comment.deliverable) == ("client", client_user, deliverable)
    # The PM owns the deliverable and chose email at once for comments.
    notification = Notification.objects.get(recipient=pm)
    assert notification.kind == "comment"
    assert notification.url == f"/projects/ALPHA-1/deliverables/{deliverable.pk}/#comment-{comment.pk}"
    emails = [email for email in OutboundEmail.objects.all() if pm.email in email.to]
    assert len(emails) == 1
    assert "The colours are off" not in emails[0].subject
    # The client reads their comment under the deliverable they review.
    page = client.get("/portal/ALPHA-1/").content.decode()
    assert "The colours are off on page 3" in page
    assert f'id="comment-{comment.pk}"' in page


def test_it_never_shows_an_internal_comment_on_the_portal(client, deliverable, change, pm, client_user):
    comment_create(anchor=deliverable, author=pm, body="Internal: margin is thin here", visibility="internal")
    comment_create(anchor=change, author=pm, body="Internal: push back on this", visibility="internal")
    comment_create(anchor=change, author=pm, body="For you: we can do this by May", visibility="client")
    for user in (client_user, pm):  # the PM previews the portal as the client sees it
        client.force_login(user)
        page = client.get("/portal/ALPHA-1/").content.decode()
        assert "Internal:" not in page
        assert "we can do this by May" in page


def test_it_answers_404_to_a_client_posting_on_an_internal_page(client, deliverable, task, client_user):
    client.force_login(client_user)
    for anchor, pk in (("deliverable", deliverable.pk), ("task", task.pk)):
        assert client.post(f"/projects/ALPHA-1/comments/{anchor}/{pk}/", {"body": "x"}).status_code == 404
    # The portal takes comments on deliverables and change requests only.
    assert client.post(f"/portal/ALPHA-1/comments/task/{task.pk}/", {"body": "x"}).status_code == 404
    assert not Comment.objects.exists()


def test_it_lets_a_team_member_comment_on_a_task_and_shows_the_thread(client, task, member, pm):
    client.force_login(member)
    response = client.post(f"/projects/ALPHA-1/comments/task/{task.pk}/", {"body": "Started, @pm"}, follow=True)
    comment = Comment.objects.get()
    assert response.redirect_chain[-1][0] == f"/projects/ALPHA-1/tasks/{task.pk}/#comment-{comment.pk}"
    page = response.content.decode()
    assert 'Started, <mark class="mention">@pm</mark>' in page
    assert "Comment posted." in page
    # No "visible to the client" on a task, for anyone.
    client.force_login(pm)
    assert 'name="to_client"' not in client.get(f"/projects/ALPHA-1/tasks/{task.pk}/").content.decode()


def test_it_offers_the_client_checkbox_to_the_pm_on_a_deliverable_only(client, deliverable, pm, member):
    client.force_login(pm)
    assert 'name="to_client"' in client.get(f"/projects/ALPHA-1/deliverables/{deliverable.pk}/").content.decode()
    client.force_login(member)
    assert 'name="to_client"' not in client.get(f"/projects/ALPHA-1/deliverables/{deliverable.pk}/").content.decode()


def test_it_tells_the_writer_who_was_not_notified(client, deliverable, pm):
    client.force_login(pm)
    response = client.post(
        f"/projects/ALPHA-1/comments/deliverable/{deliverable.pk}/", {"body": "@client and @ghost"}, follow=True
    )
    said = " ".join(messages_of(response))
    assert "@client was not notified: they cannot see this comment on this deliverable." in said
    assert "Nobody is called @ghost" in said


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"body": ""}, "the comment is empty"),
        ({"body": "x" * 10_001}, "at most 10,000 characters"),
        ({"body": "Hello", "to_client": "on"}, "Only the project manager"),
    ],
)
def test_it_refuses_bad_input_changing_nothing(client, deliverable, member, data, said):
    client.force_login(member)
    response = client.post(f"/projects/ALPHA-1/comments/deliverable/{deliverable.pk}/", data, follow=True)
    assert response.status_code == 200
    assert said in " ".join(messages_of(response))
    assert not Comment.objects.exists()


def test_it_answers_404_for_an_anchor_that_is_not_there(client, deliverable, member, world):
    client.force_login(member)
    assert client.post("/projects/ALPHA-1/comments/deliverable/999999/", {"body": "x"}).status_code == 404
    assert client.post(f"/projects/ALPHA-1/comments/budget/{deliverable.pk}/", {"body": "x"}).status_code == 404
    assert client.post(f"/projects/BETA-1/comments/deliverable/{deliverable.pk}/", {"body": "x"}).status_code == 404
    assert not Comment.objects.exists()


def test_it_refuses_a_program_renamed_pdf_through_the_page(client, deliverable, pm):
    client.force_login(pm)
    program = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    response = client.post(
        f"/projects/ALPHA-1/comments/deliverable/{deliverable.pk}/",
        {"body": "See the scan", "attachments": [program]},
        follow=True,
    )
    assert "“scan.pdf” is not a PDF" in " ".join(messages_of(response))
    assert not Comment.objects.exists()


def test_it_serves_a_file_only_to_those_who_see_its_comment(client, deliverable, pm, member, client_user):
    internal = comment_create(anchor=deliverable, author=pm, body="i", visibility="internal", files=[pdf()]).comment
    shared = comment_create(anchor=deliverable, author=pm, body="s", visibility="client", files=[pdf()]).comment
    internal_file = f"/projects/ALPHA-1/comments/files/{internal.attachments.get().pk}/"
    shared_file = f"/projects/ALPHA-1/comments/files/{shared.attachments.get().pk}/"
    client.force_login(member)
    response = client.get(internal_file)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="notes.pdf"')
    client.force_login(client_user)
    assert client.get(internal_file).status_code == 404
    assert client.get(shared_file).status_code == 200
    # A deleted comment's file is kept but no longer served.
    comment_delete(comment=shared, user=pm)
    assert client.get(shared_file).status_code == 404


def test_it_edits_and_shows_the_earlier_version(client, deliverable, pm, member):
    comment = comment_create(anchor=deliverable, author=pm, body="Due Friday", visibility="internal").comment
    client.force_login(pm)
    response = client.post(f"/projects/ALPHA-1/comments/{comment.pk}/edit/", {"body": "Due Monday"}, follow=True)
    page = response.content.decode()
    assert "Due Monday" in page
    assert "Earlier versions (1)" in page
    assert "Due Friday" in page
    # Someone else may not edit it.
    client.force_login(member)
    client.post(f"/projects/ALPHA-1/comments/{comment.pk}/edit/", {"body": "Hijacked"})
    comment.refresh_from_db()
    assert comment.body == "Due Monday"


def test_it_shows_a_tombstone_after_a_delete(client, deliverable, pm, member):
    comment = comment_create(anchor=deliverable, author=member, body="Wrong thread", visibility="internal").comment
    client.force_login(member)
    response = client.post(f"/projects/ALPHA-1/comments/{comment.pk}/delete/", follow=True)
    page = response.content.decode()
    assert "Comment deleted by" in page
    assert "Wrong thread" not in page
    comment.refresh_from_db()
    assert comment.deleted_by == member


def test_it_shows_the_thread_on_every_detail_page(client, project, deliverable, task, change, pm):
    raid = factories.RaidItemFactory(project=project)
    document = Document.objects.create(project=project, kind="contract", title="MSA")
    entry = factories.CorrespondenceFactory(project=project)
    client.force_login(pm)
    pages = {
        deliverable: f"/projects/ALPHA-1/deliverables/{deliverable.pk}/",
        task: f"/projects/ALPHA-1/tasks/{task.pk}/",
        change: f"/projects/ALPHA-1/changes/{change.number}/",
        raid: f"/projects/ALPHA-1/raid/{raid.pk}/",
        document: f"/projects/ALPHA-1/documents/{document.pk}/",
        entry: f"/projects/ALPHA-1/correspondence/{entry.pk}/",
    }
    for anchor, url in pages.items():
        comment_create(anchor=anchor, author=pm, body=f"On {type(anchor).__name__}", visibility="internal")
        page = client.get(url).content.decode()
        assert f"On {type(anchor).__name__}" in page, url
        assert 'id="comments"' in page
