"""The conversation end to end on real services, as the product promises it.

A client comments on a deliverable before signing it off, and the PM, who
chose "email at once" for comments, gets one email through a real Celery
worker and a real SMTP server; the team's Slack channel (a receiver written
here, its host allowed by an administrator) gets the critical issue a team
member raises; then every periodic task of the conversation runs twice on
the worker, and nobody is told anything twice. Skips when Redis or
PostgreSQL is missing (fails under CI=true).
"""

from __future__ import annotations

import json
import time
from email import message_from_bytes, policy

import pytest

from apm.outbound.models import AllowedHost, OutboundRequest
from apm.outbox.models import OutboundEmail
from projects.models import ChatEvent, Comment, Notification, NotificationPreference, RaidItem
from projects.raid.services import raid_item_create
from projects.tasks import escalate_critical_issues, notify_work_due, send_notification_digests
from tests import factories
from tests.apm.outbound.receiver import Receiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT = 60


def _until(found, what: str, timeout: float = RUN_TIMEOUT):
    """Wait for ``found()`` to be truthy (a guard against a hang, not a timing) and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}")


@pytest.fixture
def slack():
    AllowedHost.objects.create(host="127.0.0.1", allow_http=True, note="the test's Slack")
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def test_a_client_comment_reaches_the_pm_and_the_critical_issue_the_team_channel_once(
    client, world, pm, member, client_user, celery_worker_process, smtp_server, slack
):
    _port, mail = smtp_server
    project = world["alpha_project"]
    deliverable = factories.DeliverableFactory(project=project, owner=pm, status="awaiting_sign_off", name="Designs")
    NotificationPreference.objects.create(user=pm, kind="comment", channel="email")
    project.chat_hooks.create(
        service="slack", name="#alpha-team", url=slack.url(), events=[ChatEvent.CRITICAL_ISSUE], created_by=pm
    )

    # The client asks before signing off, on the portal.
    client.force_login(client_user)
    response = client.post(
        f"/portal/{project.code}/comments/deliverable/{deliverable.pk}/",
        {"body": "Page 3 uses last year's logo: please swap it before I sign."},
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.author, comment.visibility) == (client_user, "client")

    # The PM chose email at once: one email, sent by the worker through SMTP.
    to_pm = _until(lambda: [m for rcpt, m in mail.messages if pm.email in rcpt], "the PM's email")
    message = message_from_bytes(to_pm[0], policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/projects/{project.code}/deliverables/{deliverable.pk}/#comment-{comment.pk}" in body
    assert Notification.objects.get(recipient=pm, key=f"comment:{comment.pk}").emailed_at is not None

    # A team member raises a critical issue: the team's Slack channel gets it, through the worker.
    issue = raid_item_create(
        project=project, kind="issue", user=member, title="Payment page down for all users", severity="critical"
    )
    request = _until(lambda: list(slack.requests), "the Slack message")[0]
    payload = json.loads(request.body)
    assert "Payment page down for all users" in json.dumps(payload)
    assert f"/projects/{project.code}/raid/{issue.pk}/" in json.dumps(payload)
    assert request.headers["Idempotency-Key"] == OutboundRequest.objects.get().idempotency_key
    _until(lambda: OutboundRequest.objects.filter(status="sent").exists(), "the request marked sent")

    # Every periodic task of the conversation, twice, as two beats would: nothing is told twice.
    told = sorted(Notification.objects.values_list("recipient_id", "key"))
    emails = OutboundEmail.objects.count()
    for task in (escalate_critical_issues, notify_work_due, send_notification_digests) * 2:
        result = task.apply_async()
        celery_worker_process.wait_for(f"[{result.id}] succeeded", RUN_TIMEOUT)
    assert sorted(Notification.objects.values_list("recipient_id", "key")) == told
    assert OutboundEmail.objects.count() == emails
    assert len(slack.requests) == 1
    assert len([m for rcpt, m in mail.messages if pm.email in rcpt]) == 1
    assert RaidItem.objects.get(pk=issue.pk).escalated_at is None
