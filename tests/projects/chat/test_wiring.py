"""The events that reach a project's chat channels from the services that make them happen: a change request
decided, a deliverable signed off by the client, a tolerance broken by the budget check. Each once, none with
money."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apm.outbound.models import OutboundRequest
from projects.budget.services import checks, plan
from projects.changes import services as change_services
from projects.delivery import services as delivery_services
from projects.models import Deliverable, DeliverableStatus, Expense, StatusUpdate
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def hook(project):
    return factories.ChatHookFactory(project=project, events=["decision", "budget_alert"])


def test_a_change_request_approved_by_every_side_is_announced_once_without_its_cost(
    hook, project, pm, head, client_user, deliverable
):
    change = change_services.change_request_create(
        project=project,
        user=pm,
        title="Add a second video",
        description="A 30-second cut.",
        reason="Client asked for it",
        raised_by="client",
        cost_impact=Decimal("12500.50"),
        cost_category="subcontractors",
        schedule_impact_days=14,
        affected_deliverables=[deliverable],
        client_summary="A second video.",
        approvers="both",
    )
    change_services.change_request_submit(change_request=change, user=pm)
    change_services.change_request_decide(change_request=change, user=head, approve=True, comment="")
    assert not OutboundRequest.objects.exists()  # the client side has not decided yet
    change_services.change_request_decide(change_request=change, user=client_user, approve=True, comment="Go")
    request = OutboundRequest.objects.get()
    assert request.idempotency_key == f"change:{change.pk}:approved:hook:{hook.pk}"
    assert "CR-1 approved and applied" in request.body
    assert "Add a second video" in request.body
    assert f"/projects/{project.code}/changes/1/" in request.body
    assert not any(figure in request.body for figure in ("12500", "12,500", "£"))


def test_a_rejected_change_request_is_announced(hook, project, pm, head):
    change = change_services.change_request_create(
        project=project,
        user=pm,
        title="Drop the launch event",
        description="No event.",
        reason="Saving",
        raised_by="team",
        approvers="head",
    )
    change_services.change_request_submit(change_request=change, user=pm)
    change_services.change_request_decide(change_request=change, user=head, approve=False, comment="Not now")
    assert "CR-1 rejected" in OutboundRequest.objects.get().summary


def test_a_sign_off_by_the_client_is_announced(hook, project, deliverable, client_user):
    Deliverable.objects.filter(pk=deliverable.pk).update(status=DeliverableStatus.AWAITING_SIGN_OFF)
    delivery_services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=False, comment="Redo")
    request = OutboundRequest.objects.get()
    assert request.summary == f"{project.code}: deliverable rejected by the client"
    body = json.loads(request.body)
    assert body["blocks"][1]["elements"][0]["url"].endswith(f"/projects/{project.code}/deliverables/{deliverable.pk}/")


def test_a_broken_tolerance_is_announced_once_without_figures(hook, project, pm):
    project.start_date, project.end_date = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    project.bac = None
    project.save()
    plan.budget_line_add(project=project, category="labour", amount=Decimal("100000"), actor=pm)
    StatusUpdate.objects.create(project=project, as_of=dt.date(2025, 6, 30), percent_complete=50, rag="amber")
    Expense.objects.create(
        project=project,
        date=dt.date(2025, 6, 1),
        amount=Decimal("60000"),
        currency="GBP",
        category="travel",
        supplier="S",
    )
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=LONDON)):
        assert [e.kind for e in checks.budget_check(project=project).raised] == ["cost"]
        assert checks.budget_check(project=project).raised == []
    request = OutboundRequest.objects.get()
    assert request.summary == f"{project.code}: the budget tolerance is broken"
    assert f"/projects/{project.code}/budget/" in request.body
    assert not any(figure in request.body for figure in ("60000", "60,000", "100000", "120", "20%", "£"))
