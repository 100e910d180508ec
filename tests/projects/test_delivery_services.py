"""Deliverables, sign-off, reviews and non-conformances, change requests: the workflow rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apm.errors import Refused
from projects.delivery import quality_services as quality
from projects.delivery import services
from projects.delivery.quality_services import CheckInput
from projects.delivery.selectors import change_requests_awaiting_client, deliverables_awaiting_sign_off
from projects.delivery.workflow import TransitionError
from projects.models import (
    Baseline,
    BudgetLine,
    ChangeStatus,
    Deliverable,
    DeliverableStatus,
    NonConformanceStatus,
    Project,
    SignOffOverride,
)
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def project(world):
    return world["alpha_project"]


@pytest.fixture
def standard(project):
    std = factories.QualityStandardFactory(name="House style")
    factories.QualityCriterionFactory(standard=std, text="Spelling checked")
    factories.QualityCriterionFactory(standard=std, text="Brand colours used")
    std.projects.add(project)
    return std


@pytest.fixture
def deliverable(project, pm):
    return services.deliverable_create(
        project=project,
        user=pm,
        name="Launch video",
        due_date=dt.date(2025, 6, 30),
        start_date=dt.date(2025, 2, 1),
        acceptance_criteria="90 seconds\nSubtitled",
        owner=pm,
    )


def _to_review(item, user):
    services.deliverable_transition(deliverable=item, to=DeliverableStatus.IN_PROGRESS, user=user)
    services.deliverable_transition(deliverable=item, to=DeliverableStatus.IN_REVIEW, user=user)


def _review(item, user, standard, *, fail_first: bool):
    criteria = list(standard.criteria.order_by("order"))
    checks = [
        CheckInput(criteria[0].pk, "failed" if fail_first else "passed", note="Typos on slide 3" if fail_first else ""),
        CheckInput(criteria[1].pk, "passed"),
    ]
    return quality.review_record(deliverable=item, reviewer=user, checks=checks)


def test_it_keeps_acceptance_criteria_as_a_list(deliverable):
    assert deliverable.acceptance_criteria == ["90 seconds", "Subtitled"]
    assert deliverable.status == DeliverableStatus.NOT_STARTED


def test_it_blocks_sign_off_while_a_non_conformance_is_open(deliverable, pm, member, standard, admin_user, client_user):
    _to_review(deliverable, pm)
    review = _review(deliverable, member, standard, fail_first=True)
    assert review.outcome == "failed"
    nc = deliverable.non_conformances.get()
    assert nc.status == NonConformanceStatus.OPEN
    assert nc.action_owner == pm

    with pytest.raises(Refused, match="non-conformances are open: NC-"):
        services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
    deliverable.refresh_from_db()
    assert deliverable.status == DeliverableStatus.IN_REVIEW
    # The PM cannot override, even with a reason; an administrator needs one.
    with pytest.raises(Refused):
        services.deliverable_transition(
            deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm, override_reason="Urgent"
        )
    with pytest.raises(Refused, match="override with a reason"):
        services.deliverable_transition(
            deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=admin_user, override_reason="  "
        )
    assert not SignOffOverride.objects.exists()
    # Even if it got there another way (an NC opened later), the client cannot sign it off.
    Deliverable.objects.filter(pk=deliverable.pk).update(status=DeliverableStatus.AWAITING_SIGN_OFF)
    with pytest.raises(Refused, match="open non-conformances"):
        services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=True, comment="")


def test_it_records_the_override_with_its_reason(deliverable, pm, member, standard, admin_user, client_user):
    _to_review(deliverable, pm)
    _review(deliverable, member, standard, fail_first=True)
    services.deliverable_transition(
        deliverable=deliverable,
        to=DeliverableStatus.AWAITING_SIGN_OFF,
        user=admin_user,
        override_reason="Client launch date is fixed; typo fix follows.",
    )
    override = SignOffOverride.objects.get()
    assert override.by == admin_user
    assert override.reason == "Client launch date is fixed; typo fix follows."
    assert override.open_non_conformances[0]["title"] == "Spelling checked"
    last = deliverable.history.order_by("-history_date", "-history_id").first()
    assert last.history_change_reason.startswith("override: Client launch date")
    assert last.history_user == admin_user
    services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=True, comment="Fine")
    assert Deliverable.objects.get(pk=deliverable.pk).status == DeliverableStatus.ACCEPTED


def test_it_lets_sign_off_go_ahead_once_the_action_is_verified(deliverable, pm, member, standard, client_user):
    _to_review(deliverable, pm)
    _review(deliverable, member, standard, fail_first=True)
    nc = deliverable.non_conformances.get()
    with pytest.raises(Refused, match="no corrective action"):
        quality.non_conformance_action_done(non_conformance=nc, user=member)
    quality.non_conformance_plan(
        non_conformance=nc, user=pm, corrective_action="Proof-read again", owner=member, due=dt.date(2025, 5, 1)
    )
    quality.non_conformance_action_done(non_conformance=nc, user=member)
    with pytest.raises(Refused):  # a team member does not verify
        quality.non_conformance_verify(non_conformance=nc, user=member, passed=True)
    quality.non_conformance_verify(non_conformance=nc, user=pm, passed=True, note="Checked")
    nc.refresh_from_db()
    assert nc.status == NonConformanceStatus.CLOSED
    assert nc.verified_by == pm
    assert nc.closed_at is not None
    with pytest.raises(TransitionError, match="is already closed"):
        quality.non_conformance_verify(non_conformance=nc, user=pm, passed=True)

    services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
    assert list(deliverables_awaiting_sign_off(project=deliverable.project)) == [deliverable]


def test_it_stamps_a_sign_off_and_makes_it_final(deliverable, pm, client_user, other_client_user, member):
    milestone = factories.MilestoneFactory(project=deliverable.project, weight=Decimal("2"))
    services.deliverable_update(deliverable=deliverable, user=pm, milestone=milestone)
    _to_review(deliverable, pm)
    services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
    for outsider in (pm, member, other_client_user):
        with pytest.raises(Refused):
            services.deliverable_sign_off(deliverable=deliverable, user=outsider, accepted=True, comment="")
    services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=True, comment="Lovely")
    deliverable.refresh_from_db()
    assert deliverable.status == DeliverableStatus.ACCEPTED
    assert deliverable.signed_off_by == client_user
    assert deliverable.signed_off_contact.name == "Ann Client"
    assert deliverable.signed_off_at is not None
    assert deliverable.sign_off_comment == "Lovely"
    assert deliverable.percent_complete == 100
    milestone.refresh_from_db()
    assert milestone.completed_on is not None  # its EV weight is earned
    with pytest.raises(Refused, match="already accepted"):
        services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=False, comment="Changed mind")
    with pytest.raises(TransitionError, match="final"):
        services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.IN_PROGRESS, user=pm)
    with pytest.raises(Refused, match="final"):
        services.deliverable_update(deliverable=deliverable, user=pm, name="Renamed")


def test_it_returns_a_rejected_deliverable_to_the_team_with_the_comment(deliverable, pm, client_user):
    _to_review(deliverable, pm)
    services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
    with pytest.raises(Refused, match="Say why"):
        services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=False, comment=" ")
    services.deliverable_sign_off(deliverable=deliverable, user=client_user, accepted=False, comment="Too long")
    deliverable.refresh_from_db()
    assert deliverable.status == DeliverableStatus.REJECTED
    assert deliverable.sign_off_comment == "Too long"
    services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.IN_PROGRESS, user=pm)
    assert Deliverable.objects.get(pk=deliverable.pk).status == DeliverableStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        ("not_started", "in_review", "cannot go from not started to in review; from here it can go to: in progress"),
        ("not_started", "accepted", "cannot go from not started to accepted"),
        ("in_review", "accepted", "cannot go from in review to accepted"),
        ("awaiting_sign_off", "accepted", "only the client's sign-off accepts or rejects"),
        ("in_progress", "in_progress", "is already in progress"),
        ("accepted", "in_progress", "is accepted: that is final"),
        ("rejected", "awaiting_sign_off", "from here it can go to: in progress"),
    ],
)
def test_it_refuses_deliverable_transitions_the_workflow_does_not_allow(deliverable, pm, start, target, message):
    Deliverable.objects.filter(pk=deliverable.pk).update(status=start)
    deliverable.refresh_from_db()
    versions = deliverable.history.count()
    with pytest.raises(TransitionError, match=message):
        services.deliverable_transition(deliverable=deliverable, to=target, user=pm)
    assert Deliverable.objects.get(pk=deliverable.pk).status == start
    assert deliverable.history.count() == versions


def test_it_lets_team_members_work_but_not_send_to_the_client(deliverable, member):
    services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.IN_PROGRESS, user=member)
    services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.IN_REVIEW, user=member)
    with pytest.raises(Refused):
        services.deliverable_transition(deliverable=deliverable, to=DeliverableStatus.AWAITING_SIGN_OFF, user=member)
    with pytest.raises(Refused):
        services.deliverable_update(deliverable=deliverable, user=member, name="Mine now")


def test_it_refuses_dependency_loops_and_reversed_dates(project, pm, deliverable):
    other = services.deliverable_create(
        project=project, user=pm, name="Script", due_date=dt.date(2025, 3, 1), depends_on=[deliverable]
    )
    with pytest.raises(Refused, match="loop"):
        services.deliverable_update(deliverable=deliverable, user=pm, depends_on=[other])
    with pytest.raises(Refused, match="after the due date"):
        services.deliverable_update(deliverable=deliverable, user=pm, start_date=dt.date(2025, 8, 1))
    assert list(deliverable.depends_on.all()) == []


def test_it_refuses_evidence_that_is_not_an_allowed_file(deliverable, pm, member, standard):
    _to_review(deliverable, pm)
    criteria = list(standard.criteria.order_by("order"))
    bad = SimpleUploadedFile("evidence.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    checks = [CheckInput(criteria[0].pk, "passed", evidence_file=bad), CheckInput(criteria[1].pk, "na")]
    with pytest.raises(Refused, match="checked by its content"):
        quality.review_record(deliverable=deliverable, reviewer=member, checks=checks)
    assert not deliverable.reviews.exists()
    good = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    checks = [CheckInput(criteria[0].pk, "passed", evidence_file=good), CheckInput(criteria[1].pk, "na")]
    review = quality.review_record(deliverable=deliverable, reviewer=member, checks=checks)
    check = review.checks.get(criterion=criteria[0])
    assert check.evidence_content_type == "image/png"
    assert check.evidence_name == "shot.png"
    assert check.evidence_file.name.startswith("evidence/")


def test_it_needs_a_result_for_every_criterion(deliverable, pm, member, standard):
    _to_review(deliverable, pm)
    first = standard.criteria.order_by("order").first()
    with pytest.raises(Refused, match="missing: Brand colours used"):
        quality.review_record(deliverable=deliverable, reviewer=member, checks=[CheckInput(first.pk, "passed")])


def test_it_versions_a_standard_and_moves_projects_to_the_new_version(project, admin_user, pm):
    v1 = quality.quality_standard_create(name="Accessibility", criteria=["Alt text"], user=admin_user)
    quality.project_standards_set(project=project, standards=[v1], user=pm)
    v2 = quality.quality_standard_create(name="Accessibility", criteria=["Alt text", "Contrast AA"], user=admin_user)
    v1.refresh_from_db()
    assert (v2.version, v1.is_active) == (2, False)
    assert list(project.quality_standards.all()) == [v2]
    assert v1.criteria.count() == 1
    assert v2.criteria.count() == 2
    with pytest.raises(Refused):
        quality.quality_standard_create(name="Mine", criteria=["x"], user=pm)


# --- Change requests -------------------------------------------------------------------------


@pytest.fixture
def change(project, pm, deliverable):
    from projects.budget import services as budget_services

    project.bac = None  # no budget yet: the lines make the BAC
    project.save()
    budget_services.budget_line_add(project=project, category="labour", amount=Decimal("100000"), actor=pm)
    services.schedule_baseline_set(project=project, user=pm, reason="Plan agreed")
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
    from apm.accounts.models import Role

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
