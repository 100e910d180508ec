"""Change requests: drafts, decisions by side, the new baseline on approval, and who may decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.accounts.models import Role
from apm.errors import Refused
from projects.budget.services import plan
from projects.changes import services
from projects.changes.selectors import change_requests_awaiting_client
from projects.common.workflow import TransitionError
from projects.delivery import services as delivery_services
from projects.models import Baseline, BudgetLine, ChangeStatus, Deliverable, Project


@pytest.fixture
def change(project, pm, deliverable):
    project.bac = None  # no budget yet: the lines make the BAC
    project.save()
    plan.budget_line_add(project=project, category="labour", amount=Decimal("100000"), actor=pm)
    delivery_services.schedule_baseline_set(project=project, user=pm, reason="Plan agreed")
    return services.change_request_create(
        project=project,
        user=pm,
        title="Add a second video",
        description="A 30-second cut for social media.",
        reason="Client asked for it",
        raised_by="client",
        cost_impact=Decimal("12500.50"),
        cost_category="subcontractors",
        schedule_impact_days=14,
        affected_deliverables=[deliverable],
        client_summary="A second, shorter video; two weeks more.",
        approvers="both",
    )


def test_it_moves_the_baseline_on_approval_and_keeps_the_old_one(change, project, pm, head, client_user, deliverable):
    old_end = project.end_date
    services.change_request_submit(change_request=change, user=pm)
    assert list(change_requests_awaiting_client(project=project)) == [change]
    services.change_request_decide(change_request=change, user=head, approve=True, comment="")
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED  # the client has not decided yet
    assert Baseline.objects.filter(project=project).count() == 1
    services.change_request_decide(change_request=change, user=client_user, approve=True, comment="Go ahead")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    assert change.reference == "CR-1"
    baselines = list(Baseline.objects.filter(project=project).order_by("number"))
    assert [(b.number, b.is_current) for b in baselines] == [(1, False), (2, True)]
    old, new = baselines
    assert old.bac == Decimal("100000.00")
    assert old.end_date == old_end
    assert new.bac == Decimal("112500.50")
    assert new.end_date == old_end + dt.timedelta(days=14)
    assert new.change_reference == "CR-1"
    assert Project.objects.get(pk=project.pk).bac == Decimal("112500.50")
    deliverable.refresh_from_db()
    assert deliverable.due_date == dt.date(2025, 7, 14)
    assert old.deliverable_dates.get().due_date == dt.date(2025, 6, 30)
    assert new.deliverable_dates.get().due_date == dt.date(2025, 7, 14)
    assert change.applied["previous_baseline"] == 1
    assert change.applied["baseline"] == 2
    assert list(change_requests_awaiting_client(project=project)) == []
    services.change_request_implement(change_request=change, user=pm)
    assert change.status == ChangeStatus.IMPLEMENTED


def test_it_changes_nothing_when_a_change_is_rejected(change, project, pm, head, deliverable):
    services.change_request_submit(change_request=change, user=pm)
    before = (Project.objects.get(pk=project.pk).bac, Project.objects.get(pk=project.pk).end_date)
    lines = BudgetLine.objects.filter(project=project).count()
    with pytest.raises(Refused, match="Say why"):
        services.change_request_decide(change_request=change, user=head, approve=False, comment="")
    services.change_request_decide(change_request=change, user=head, approve=False, comment="Not this quarter")
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    project.refresh_from_db()
    assert (project.bac, project.end_date) == before
    assert BudgetLine.objects.filter(project=project).count() == lines
    assert list(Baseline.objects.filter(project=project).values_list("number", "is_current")) == [(1, True)]
    assert Deliverable.objects.get(pk=deliverable.pk).due_date == dt.date(2025, 6, 30)
    with pytest.raises(TransitionError, match="final"):
        services.change_request_implement(change_request=change, user=pm)


def test_it_refuses_deciding_a_draft_or_twice_or_by_the_wrong_side(change, pm, head, member, client_user):
    with pytest.raises(Refused, match="only a submitted change is decided"):
        services.change_request_decide(change_request=change, user=head, approve=True, comment="")
    services.change_request_submit(change_request=change, user=pm)
    with pytest.raises(Refused):
        services.change_request_decide(change_request=change, user=member, approve=True, comment="")
    services.change_request_decide(change_request=change, user=head, approve=True, comment="")
    with pytest.raises(Refused, match="already decided"):
        services.change_request_decide(change_request=change, user=head, approve=True, comment="")
    head_only = services.change_request_create(
        project=change.project, user=pm, title="T", description="D", reason="R", approvers="head"
    )
    services.change_request_submit(change_request=head_only, user=pm)
    with pytest.raises(Refused, match="needs the approval of: department head"):
        services.change_request_decide(change_request=head_only, user=client_user, approve=True, comment="")
    with pytest.raises(TransitionError, match="cannot go from submitted for approval to implemented"):
        services.change_request_implement(change_request=head_only, user=pm)


def test_it_refuses_a_negative_cost_impact(project, pm):
    with pytest.raises(Refused, match="0 or more"):
        services.change_request_create(
            project=project, user=pm, title="T", description="D", reason="R", cost_impact=Decimal("-1")
        )


def test_it_never_lets_anyone_inside_decide_for_the_client(change, pm, admin_user):
    services.change_request_submit(change_request=change, user=pm)
    services.change_request_decide(change_request=change, user=admin_user, approve=True, comment="")
    # The administrator decided the head side; the client side waits for a client contact.
    with pytest.raises(Refused, match="already decided"):
        services.change_request_decide(change_request=change, user=admin_user, approve=True, comment="")
    change.refresh_from_db()
    assert change.status == "submitted"
    assert list(change.approvals.values_list("side", flat=True)) == ["head"]


def test_it_refuses_a_head_approving_a_change_they_raised(project, head):
    project.project_manager = None
    project.save()
    own = services.change_request_create(
        project=project, user=head, title="Mine", description="D", reason="R", approvers="head"
    )
    services.change_request_submit(change_request=own, user=head)
    with pytest.raises(Refused, match="another head must decide"):
        services.change_request_decide(change_request=own, user=head, approve=True, comment="")
    own.refresh_from_db()
    assert own.status == "submitted"
    assert head.role == Role.DEPARTMENT_HEAD
