"""The chat channels page: managers only (404 for everyone else), the secret URL never shown, bad URLs refused
in words, test message and Retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apm.outbound.models import OutboundRequest, RequestStatus
from projects.models import ChatHook
from tests import factories

pytestmark = pytest.mark.django_db


def chat_url(project) -> str:
    return reverse("projects:chat", args=[project.code])


@pytest.mark.parametrize(("who", "status"), [("pm", 200), ("head", 200), ("admin", 200)])
def test_the_page_opens_for_the_projects_managers(client, users, world, who, status):
    client.force_login(users[who])
    assert client.get(chat_url(world["alpha_project"])).status_code == status


@pytest.mark.parametrize("who", ["member", "client_user", "other_client_user", "outside_head"])
def test_the_page_is_a_404_for_everyone_else(client, users, world, who):
    hook = factories.ChatHookFactory(project=world["alpha_project"])
    client.force_login(users[who])
    project = world["alpha_project"]
    assert client.get(chat_url(project)).status_code == 404
    assert client.get(reverse("projects:chat_hook", args=[project.code, hook.pk])).status_code == 404
    assert client.post(reverse("projects:chat_hook_test", args=[project.code, hook.pk])).status_code == 404
    assert client.post(reverse("projects:chat_hook_remove", args=[project.code, hook.pk])).status_code == 404
    assert ChatHook.objects.filter(pk=hook.pk).exists()
    assert not OutboundRequest.objects.exists()


def test_the_secret_path_never_appears_on_the_pages(client, pm, project, django_assert_num_queries):
    hooks = [factories.ChatHookFactory(project=project) for _ in range(3)]
    OutboundRequest.objects.create(
        kind="chat",
        source=f"chat:{project.pk}:{hooks[0].pk}",
        summary="ALPHA-1: critical issue I-1 raised",
        url=hooks[0].url,
        idempotency_key="k1",
        status=RequestStatus.FAILED,
        tries=8,
        last_error="The receiver answered 404: no_service",
        queued_at="2026-03-02T09:00:00Z",
    )
    client.force_login(pm)
    client.get(chat_url(project))  # the session and the capabilities warm up once
    with django_assert_num_queries(6):  # session, user, project, tabs, hooks, deliveries
        page = client.get(chat_url(project)).content.decode()
    edit = client.get(reverse("projects:chat_hook", args=[project.code, hooks[0].pk])).content.decode()
    for text in (page, edit):
        assert "hooks.slack.com" in text
        assert "secretpath" not in text
        assert "/services/T000" not in text
    assert "The receiver answered 404: no_service" in page
    assert "Retry" in page


def test_it_adds_a_channel_and_refuses_a_bad_url_in_words(client, pm, project):
    client.force_login(pm)
    response = client.post(
        chat_url(project),
        {"service": "slack", "name": "#launch", "url": "http://hooks.slack.com/services/x", "events": ["decision"]},
    )
    assert response.status_code == 400
    assert "The address must use https" in response.content.decode()
    assert not ChatHook.objects.exists()
    response = client.post(
        chat_url(project),
        {"service": "slack", "name": "#launch", "url": "https://u:p@hooks.slack.com/x", "events": ["decision"]},
    )
    assert "may not carry a user name or password" in response.content.decode()
    response = client.post(
        chat_url(project),
        {
            "service": "teams",
            "name": "#launch",
            "url": "https://prod.example.logic.azure.com/workflows/abc",
            "events": ["decision", "critical_issue"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    hook = ChatHook.objects.get()
    assert (hook.service, hook.name, hook.events, hook.active, hook.created_by) == (
        "teams",
        "#launch",
        ["critical_issue", "decision"],
        True,
        pm,
    )


def test_it_changes_a_channel_keeping_its_url_when_none_is_pasted(client, pm, project):
    hook = factories.ChatHookFactory(project=project)
    secret = hook.url
    client.force_login(pm)
    response = client.post(
        reverse("projects:chat_hook", args=[project.code, hook.pk]),
        {"service": "slack", "name": "#renamed", "url": "", "events": ["escalation"]},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.name, hook.events, hook.active) == (secret, "#renamed", ["escalation"], False)


def test_a_test_message_is_queued_and_listed(client, pm, project, published):
    hook = factories.ChatHookFactory(project=project)
    client.force_login(pm)
    response = client.post(reverse("projects:chat_hook_test", args=[project.code, hook.pk]), follow=True)
    request = OutboundRequest.objects.get()
    assert request.url == hook.url
    assert "test message" in request.summary
    page = response.content.decode()
    assert "Test message to" in page
    assert "Queued" in page


def test_remove_and_retry(client, pm, project, published):
    hook = factories.ChatHookFactory(project=project)
    failed = OutboundRequest.objects.create(
        kind="chat",
        source=f"chat:{project.pk}:{hook.pk}",
        url=hook.url,
        idempotency_key="k",
        status=RequestStatus.FAILED,
        queued_at="2026-03-02T09:00:00Z",
    )
    client.force_login(pm)
    client.post(reverse("projects:chat_retry", args=[project.code, failed.pk]))
    failed.refresh_from_db()
    assert failed.status == RequestStatus.QUEUED
    client.post(reverse("projects:chat_hook_remove", args=[project.code, hook.pk]))
    assert not ChatHook.objects.exists()
    page = client.get(chat_url(project)).content.decode()
    assert "a removed channel" in page
