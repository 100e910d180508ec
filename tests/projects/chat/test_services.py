"""Chat announcements: one outbound request per subscribed hook, Slack's and Teams' shapes, once per event, no
money; the hook services refuse bad URLs and people without manage_chat_hooks."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from apm.errors import Refused
from apm.outbound.models import AllowedHost, OutboundRequest, RequestStatus
from apm.outbound.services import outbound_send
from apm.outbox.services import SendResult
from projects.chat import services
from projects.chat.announcements import announce_tolerance_broken
from projects.models import ChatHook, RaidItem, ToleranceException
from projects.raid.services import raid_escalate_overdue, raid_item_create
from tests import factories
from tests.apm.outbound.receiver import Receiver

pytestmark = pytest.mark.django_db

MONEY_WORDS = ("£", "$", "€", "GBP", "EUR", "USD", "BAC", "EAC", "cost")


def raise_critical(project, pm, title="Supplier gone") -> RaidItem:
    return raid_item_create(project=project, kind="issue", user=pm, title=title, severity="critical")


def test_a_critical_issue_enqueues_one_slack_message_with_the_link_and_no_money(project, pm, settings):
    hook = factories.ChatHookFactory(project=project, events=["critical_issue"])
    item = raise_critical(project, pm)
    [request] = OutboundRequest.objects.all()
    assert request.url == hook.url
    assert request.idempotency_key == f"raid:{item.pk}:critical:hook:{hook.pk}"
    assert request.source == f"chat:{project.pk}:{hook.pk}"
    body = json.loads(request.body)
    link = f"{settings.APM_SITE_URL.rstrip('/')}/projects/{project.code}/raid/{item.pk}/"
    assert set(body) == {"text", "blocks"}
    assert body["blocks"][0]["type"] == "section"
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert f"critical issue {item.reference} raised" in body["blocks"][0]["text"]["text"]
    assert "Supplier gone" in body["blocks"][0]["text"]["text"]
    [button] = body["blocks"][1]["elements"]
    assert (button["type"], button["url"]) == ("button", link)
    assert f"<{link}|Open in APM>" in body["text"]
    assert not any(word in request.body for word in MONEY_WORDS)


def test_a_hook_not_subscribed_or_paused_gets_nothing(project, pm):
    factories.ChatHookFactory(project=project, events=["decision"])
    factories.ChatHookFactory(project=project, events=["critical_issue"], active=False)
    factories.ChatHookFactory(events=["critical_issue"])  # another project's
    raise_critical(project, pm)
    assert not OutboundRequest.objects.exists()


def test_an_event_announced_twice_is_enqueued_once(project, pm, published, django_capture_on_commit_callbacks):
    factories.ChatHookFactory(project=project, events=["critical_issue"])
    with django_capture_on_commit_callbacks(execute=True):
        item = raise_critical(project, pm)
        from projects.chat.announcements import announce_critical_issue

        assert announce_critical_issue(item=item) == 0
    assert OutboundRequest.objects.count() == 1
    assert [name for name, _ in published].count("apm.outbound.tasks.send_request") == 1


def test_an_escalation_is_announced_once_however_often_the_beat_runs(project, pm):
    factories.ChatHookFactory(project=project, events=["escalation"])
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        item = raise_critical(project, pm)
        clock.shift(dt.timedelta(hours=30))
        assert raid_escalate_overdue() == 1
        assert raid_escalate_overdue() == 0
        # Run again as if the claim had been lost: the announcement is still written once.
        from projects.chat.announcements import announce_escalation

        assert announce_escalation(item=item, hours=4) == 0
    [request] = OutboundRequest.objects.all()
    assert request.idempotency_key.startswith(f"raid:{item.pk}:escalated:hook:")
    assert "escalated" in request.summary


def test_teams_gets_an_adaptive_card(project, pm):
    factories.ChatHookFactory(
        project=project,
        service="teams",
        url="https://prod.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s",
        events=["critical_issue"],
    )
    item = raise_critical(project, pm)
    body = json.loads(OutboundRequest.objects.get().body)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [block["type"] for block in card["body"]] == ["TextBlock", "TextBlock"]
    [action] = card["actions"]
    assert action["type"] == "Action.OpenUrl"
    assert action["url"].endswith(f"/projects/{project.code}/raid/{item.pk}/")


def test_slack_markup_in_a_title_is_escaped():
    body = services.chat_payload(service="slack", title="<!channel> & co", text="<http://evil|x>", url="https://a/")
    assert "<!channel>" not in json.dumps(body["blocks"])
    assert "&lt;!channel&gt; &amp; co" in body["blocks"][0]["text"]["text"]


def test_a_broken_tolerance_says_so_without_figures(project):
    factories.ChatHookFactory(project=project, events=["budget_alert"])
    exception = ToleranceException.objects.create(
        project=project,
        kind="cost",
        summary="EAC £120,000 is 20% over BAC £100,000",
        figures={"bac": "100000", "eac": "120000"},
        raised_at=timezone.now(),
    )
    assert announce_tolerance_broken(exception=exception) == 1
    request = OutboundRequest.objects.get()
    assert "budget tolerance is broken" in request.body
    assert f"/projects/{project.code}/budget/" in request.body
    assert not any(figure in request.body for figure in ("100", "120", "20%", "£"))


def test_a_delivery_reaches_a_receiver_through_the_outbound_delivery(project, pm):
    AllowedHost.objects.create(host="127.0.0.1", allow_http=True)
    receiver = Receiver().start()
    try:
        factories.ChatHookFactory(project=project, url=receiver.url("/slack/secret"), events=["critical_issue"])
        raise_critical(project, pm)
        request = OutboundRequest.objects.get()
        assert outbound_send(request_id=request.pk) is SendResult.SENT
    finally:
        receiver.stop()
    [received] = receiver.requests
    assert received.path == "/slack/secret"
    assert json.loads(received.body)["text"].startswith(f"{project.code}: critical issue")
    assert received.headers["Idempotency-Key"] == request.idempotency_key


def test_it_refuses_bad_urls_with_a_sentence(project, pm):
    for url, said in [
        ("http://hooks.slack.com/services/x", "must use https"),
        ("https://me:pw@hooks.slack.com/services/x", "user name or password"),
        ("javascript:alert(1)", "starting with https://"),
    ]:
        with pytest.raises(Refused, match=said):
            services.chat_hook_create(project=project, user=pm, service="slack", name="#t", url=url, events=[])
    assert not ChatHook.objects.exists()


def test_only_managers_change_hooks(project, member, head):
    with pytest.raises(Refused, match="Only the project's managers"):
        services.chat_hook_create(
            project=project, user=member, service="slack", name="#t", url="https://hooks.slack.com/x", events=[]
        )
    hook = services.chat_hook_create(
        project=project, user=head, service="slack", name="#t", url="https://hooks.slack.com/x", events=["decision"]
    )
    assert (hook.created_by, hook.events) == (head, ["decision"])


def test_an_unknown_event_is_refused(project, pm):
    with pytest.raises(Refused, match="No such event: nope"):
        services.chat_hook_create(
            project=project, user=pm, service="slack", name="#t", url="https://hooks.slack.com/x", events=["nope"]
        )


def test_an_edit_with_no_url_keeps_the_secret_one(project, pm):
    hook = factories.ChatHookFactory(project=project)
    secret = hook.url
    services.chat_hook_update(
        hook=hook, user=pm, service="teams", name="#renamed", url="", events=["decision"], active=False
    )
    hook.refresh_from_db()
    assert (hook.url, hook.service, hook.name, hook.events, hook.active) == (
        secret,
        "teams",
        "#renamed",
        ["decision"],
        False,
    )


def test_a_retry_goes_to_the_mended_url_with_the_same_key(project, pm, published):
    hook = factories.ChatHookFactory(project=project, events=["critical_issue"])
    raise_critical(project, pm)
    request = OutboundRequest.objects.get()
    OutboundRequest.objects.filter(pk=request.pk).update(status=RequestStatus.FAILED, tries=8, last_status_code=404)
    services.chat_hook_update(
        hook=hook,
        user=pm,
        service="slack",
        name=hook.name,
        url="https://hooks.slack.com/services/new",
        events=hook.events,
        active=True,
    )
    assert services.chat_delivery_retry(project=project, request=request, user=pm) is True
    request.refresh_from_db()
    assert (request.status, request.tries, request.url) == (
        RequestStatus.QUEUED,
        0,
        "https://hooks.slack.com/services/new",
    )


def test_a_retry_of_another_projects_delivery_is_refused(project, pm, world):
    other = factories.ChatHookFactory(project=world["beta_project"], events=["critical_issue"])
    raise_critical(world["beta_project"], factories.UserFactory(role="administrator", is_superuser=True))
    request = OutboundRequest.objects.get()
    assert request.source.endswith(f":{other.pk}")
    with pytest.raises(Refused, match="No such delivery"):
        services.chat_delivery_retry(project=project, request=request, user=pm)
