"""The RAID log: risks and issues, critical issues told once and escalated once (time-machine)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects.common.workflow import TransitionError
from projects.models import RaidItem, RaidSettings
from projects.raid import services as raid
from projects.raid.selectors import critical_issues_for, risk_heat_map
from projects.tasks import escalate_critical_issues
from tests import factories

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def _critical(project, user):
    return raid.raid_item_create(
        project=project,
        kind="issue",
        user=user,
        title="Supplier went bust",
        description="Our video supplier stopped trading.",
        severity="critical",
        affects_client=True,
    )


def test_it_scores_risks_and_draws_the_heat_map(project, pm):
    raid.raid_item_create(project=project, kind="risk", user=pm, title="Late assets", probability=4, impact=2)
    raid.raid_item_create(project=project, kind="risk", user=pm, title="Key person", probability=4, impact=2)
    high = raid.raid_item_create(project=project, kind="risk", user=pm, title="Outage", probability=1, impact=5)
    assert high.score == 5
    grid = risk_heat_map(project=project)
    assert grid[5 - 2][4 - 1] == 2
    assert grid[0][0] == 1
    assert sum(map(sum, grid)) == 3
    with pytest.raises(Refused, match="whole number from 1 to 5"):
        raid.raid_item_create(project=project, kind="risk", user=pm, title="Bad", probability=6, impact=1)
    with pytest.raises(Refused, match="needs a probability"):
        raid.raid_item_create(project=project, kind="risk", user=pm, title="Bad")
    with pytest.raises(Refused, match="has no severity"):
        raid.raid_item_create(project=project, kind="assumption", user=pm, title="x", severity="low")


def test_it_emails_the_reporting_heads_once_when_a_critical_issue_is_raised(project, pm, outside_head):
    with time_machine.travel(T0, tick=False):
        item = _critical(project, pm)
    notices = OutboundEmail.objects.filter(subject__startswith="CRITICAL issue on ALPHA-1")
    assert notices.count() == 1
    assert notices.get().to == [outside_head.email]  # the reporting head
    assert item.ack_deadline == T0 + dt.timedelta(hours=4)
    # Editing it (still critical) does not tell them again.
    raid.raid_item_update(item=item, user=pm, description="Still bust.", severity="critical")
    assert notices.count() == 1
    assert list(critical_issues_for(user=pm)) == [item]


def test_it_escalates_an_unacknowledged_critical_issue_once(project, pm, head, admin_user, outside_head):
    RaidSettings.objects.create(project=project, critical_ack_hours=2)
    with time_machine.travel(T0, tick=False):
        item = _critical(project, pm)
    with time_machine.travel(T0 + dt.timedelta(hours=1, minutes=59), tick=False):
        assert escalate_critical_issues() == 0
    with time_machine.travel(T0 + dt.timedelta(hours=2, minutes=1), tick=False):
        assert escalate_critical_issues() == 1
        assert escalate_critical_issues() == 0
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert escalate_critical_issues() == 0
    escalations = OutboundEmail.objects.filter(subject__startswith="ESCALATED")
    assert escalations.count() == 1
    # Next: the department head not told yet, then management (administrators).
    assert escalations.get().to == [head.email, admin_user.email]
    item.refresh_from_db()
    assert item.escalated_at == T0 + dt.timedelta(hours=2, minutes=1)
    assert item.history.filter(history_change_reason__startswith="escalated").count() == 1


def test_it_does_not_escalate_an_acknowledged_issue(project, pm, outside_head, member):
    with time_machine.travel(T0, tick=False):
        item = _critical(project, pm)
    with pytest.raises(Refused):
        raid.raid_issue_acknowledge(item=item, user=member)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        raid.raid_issue_acknowledge(item=item, user=outside_head)
    with pytest.raises(Refused, match="already acknowledged by"):
        raid.raid_issue_acknowledge(item=item, user=outside_head)
    with time_machine.travel(T0 + dt.timedelta(hours=9), tick=False):
        assert escalate_critical_issues() == 0
    assert not OutboundEmail.objects.filter(subject__startswith="ESCALATED").exists()


def test_it_tells_the_client_in_client_words_only(project, pm, member):
    item = _critical(project, pm)
    with pytest.raises(Refused, match="Write the message"):
        raid.raid_issue_tell_client(item=item, user=pm)
    with pytest.raises(Refused):
        raid.raid_issue_tell_client(item=item, user=member, message="Hi")
    sent = raid.raid_issue_tell_client(item=item, user=pm, message="Your video may be two weeks late; we are on it.")
    assert sent == 1
    email = OutboundEmail.objects.get(subject__contains="an issue that affects you")
    assert email.to == ["ann@acme.example"]
    assert "two weeks late" in email.body_text
    assert "stopped trading" not in email.body_text
    item.refresh_from_db()
    assert item.client_notified_at is not None


def test_it_refuses_raid_transitions_the_workflow_does_not_allow(project, pm):
    item = factories.RaidItemFactory(project=project)
    raid.raid_item_transition(item=item, to="closed", user=pm)
    with pytest.raises(TransitionError, match="cannot go from closed to monitoring; from here it can go to: open"):
        raid.raid_item_transition(item=item, to="monitoring", user=pm)
    assert RaidItem.objects.get(pk=item.pk).status == "closed"
    raid.raid_item_transition(item=item, to="open", user=pm)
    assert RaidItem.objects.get(pk=item.pk).closed_at is None


def test_it_keeps_outsiders_out_of_the_log(world, pm, other_client_user):
    with pytest.raises(Refused):
        raid.raid_item_create(project=world["beta_project"], kind="risk", user=pm, title="x", probability=1, impact=1)
    with pytest.raises(Refused):
        raid.raid_item_create(project=world["alpha_project"], kind="issue", user=other_client_user, title="x")
