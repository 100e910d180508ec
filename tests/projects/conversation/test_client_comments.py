"""What a client's comment sets off beyond its thread: the PM hears of it, the team's channels are told."""

from __future__ import annotations

import json

import pytest

from apm.outbound.models import OutboundRequest
from projects.conversation.services import ANNOUNCED_CHARACTERS, comment_create
from projects.models import ChatEvent, Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned_by_member(project, member):
    """A deliverable awaiting sign-off that a team member owns, not the PM."""
    return factories.DeliverableFactory(project=project, owner=member, status="awaiting_sign_off", name="Launch video")


@pytest.fixture
def channel(project, pm):
    return project.chat_hooks.create(
        service="slack",
        name="#alpha-team",
        url="https://hooks.slack.example/services/T/B/secret",
        events=[ChatEvent.CLIENT_COMMENT],
        created_by=pm,
    )


def test_it_tells_the_pm_of_a_client_comment_on_what_someone_else_owns(owned_by_member, client_user, pm, member):
    comment = comment_create(anchor=owned_by_member, author=client_user, body="Is the voice-over final?").comment
    told = Notification.objects.filter(key=f"comment:{comment.pk}")
    assert set(told.values_list("recipient__username", flat=True)) == {pm.username, member.username}


def test_it_does_not_add_the_pm_to_what_the_team_says_among_itself(owned_by_member, pm, member, head):
    comment = comment_create(anchor=owned_by_member, author=head, body="Looks good to me.").comment
    told = Notification.objects.filter(key=f"comment:{comment.pk}")
    assert list(told.values_list("recipient__username", flat=True)) == [member.username]


def test_it_announces_a_client_comment_to_the_channels_that_asked_once(
    owned_by_member, client_user, channel, published, django_capture_on_commit_callbacks
):
    words = "Please make the logo bigger. " * 20
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(anchor=owned_by_member, author=client_user, body=words).comment
    request = OutboundRequest.objects.get()
    assert request.idempotency_key == f"comment:{comment.pk}:client:hook:{channel.pk}"
    sent = json.dumps(json.loads(request.body))
    assert "Please make the logo bigger." in sent
    assert len(words.strip()) > ANNOUNCED_CHARACTERS
    assert words.strip() not in sent
    assert f"/projects/{owned_by_member.project.code}/deliverables/{owned_by_member.pk}/#comment-{comment.pk}" in sent
    assert [name for name, _ in published] == ["apm.outbound.tasks.send_request"]


def test_it_announces_nothing_the_team_writes(owned_by_member, pm, channel):
    comment_create(anchor=owned_by_member, author=pm, body="For the client: done.", visibility="client")
    comment_create(anchor=owned_by_member, author=pm, body="Internal note.")
    assert not OutboundRequest.objects.exists()
