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
from projects.models import Baseline, BudgetEvent, BudgetLine, ChangeStatus, Deliverable, Project
from tests.projects.steps import set_contingency_reserve


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


@pytest.fixture
def costed(project, pm):
    """CR-1 on ALPHA-1 (a BAC of 1,000,000 not yet split into lines, baseline 1 set): £18,000 of labour, submitted."""
    plan.baseline_create(project=project, reason="Plan agreed", actor=pm)
    change = services.change_request_create(
        project=project,
        user=pm,
        title="Extra workshop",
        description="A third workshop.",
        reason="Client asked for it",
        cost_impact=Decimal("18000"),
        cost_category="labour",
        approvers="head",
    )
    return services.change_request_submit(change_request=change, user=pm)


def _budget_state(project):
    project.refresh_from_db()
    budget = plan.budget_get(project=project)
    lines = sorted(BudgetLine.objects.filter(project=project).values_list("category", "unallocated", "amount"))
    return project.bac, budget.contingency_reserve, lines


def test_it_raises_bac_and_the_new_baseline_by_an_approved_cost_impact(costed, project, pm, head):
    assert project.bac == Decimal("1000000.00")
    services.change_request_decide(change_request=costed, user=head, approve=True, comment="")
    costed.refresh_from_db()
    project.refresh_from_db()
    assert project.bac == Decimal("1018000.00")
    assert sum(line.amount for line in project.budget_lines.all()) == project.bac
    old, new = Baseline.objects.filter(project=project).order_by("number")
    assert (old.bac, new.bac, new.is_current) == (Decimal("1000000.00"), Decimal("1018000.00"), True)
    bac_row = plan.baseline_compare(project=project, baseline=old)["rows"][0]
    assert (bac_row["label"], bac_row["change"]) == ("BAC", Decimal("18000.00"))
    assert costed.applied["funding"] == "budget"
    assert "the budget rises by it" in costed.history.latest("history_date").history_change_reason


def test_it_funds_an_approved_cost_from_the_contingency_reserve_when_the_approver_says_so(costed, project, pm, head):
    set_contingency_reserve(project, pm, Decimal("25000"))
    bac, reserve, _ = _budget_state(project)
    services.change_request_decide(
        change_request=costed, user=head, approve=True, comment="From the reserve", funding="contingency"
    )
    costed.refresh_from_db()
    new_bac, new_reserve, lines = _budget_state(project)
    # The reserve is held apart from BAC: the money moves from it into a line, the total stays.
    assert new_reserve == reserve - Decimal("18000") == Decimal("7000.00")
    assert new_bac + new_reserve == bac + reserve
    assert ("labour", False, Decimal("18000.00")) in lines
    assert Baseline.objects.get(project=project, is_current=True).contingency_reserve == Decimal("7000.00")
    assert costed.applied["funding"] == "contingency"
    assert "funded from the contingency reserve" in costed.history.latest("history_date").history_change_reason
    assert BudgetEvent.objects.filter(project=project, action="contingency_used", detail__change="CR-1").exists()


def test_it_funds_an_approved_cost_from_the_unallocated_remainder_when_the_approver_says_so(costed, project, head):
    services.change_request_decide(change_request=costed, user=head, approve=True, comment="", funding="remainder")
    costed.refresh_from_db()
    bac, _, lines = _budget_state(project)
    assert bac == Decimal("1000000.00")
    assert lines == [("labour", False, Decimal("18000.00")), ("other", True, Decimal("982000.00"))]
    assert costed.applied["funding"] == "remainder"
    assert "funded from the unallocated remainder" in costed.history.latest("history_date").history_change_reason


@pytest.mark.parametrize(
    ("funding", "message"),
    [("contingency", "contingency reserve holds only £5,000"), ("remainder", "unallocated remainder holds only £0")],
)
def test_it_refuses_funding_from_a_source_too_small_and_changes_nothing(project, pm, head, funding, message):
    project.bac = None  # no unallocated remainder
    project.save()
    plan.budget_line_add(project=project, category="labour", amount=Decimal("100000"), actor=pm)
    set_contingency_reserve(project, pm, Decimal("5000"))
    change = services.change_request_create(
        project=project, user=pm, title="T", description="D", reason="R", cost_impact=Decimal("18000")
    )
    services.change_request_submit(change_request=change, user=pm)
    before = _budget_state(project)
    with pytest.raises(Refused, match=message):
        services.change_request_decide(change_request=change, user=head, approve=True, comment="", funding=funding)
    change.refresh_from_db()
    assert (change.status, change.applied, change.approvals.count()) == ("submitted", {}, 0)
    assert _budget_state(project) == before
    assert not Baseline.objects.filter(project=project).exists()


def test_it_keeps_the_head_sides_funding_until_the_client_approves(change, project, pm, head, client_user):
    set_contingency_reserve(project, pm, Decimal("20000"))
    services.change_request_submit(change_request=change, user=pm)
    with pytest.raises(Refused, match="company side"):
        services.change_request_decide(
            change_request=change, user=client_user, approve=True, comment="", funding="contingency"
        )
    services.change_request_decide(change_request=change, user=head, approve=True, comment="", funding="contingency")
    services.change_request_decide(change_request=change, user=client_user, approve=True, comment="Go ahead")
    change.refresh_from_db()
    assert change.applied["funding"] == "contingency"
    assert plan.budget_get(project=project).contingency_reserve == Decimal("7499.50")
