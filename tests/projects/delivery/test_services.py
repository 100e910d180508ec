"""Deliverables and their client sign-off: the workflow rules, non-conformances blocking sign-off, overrides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.common.workflow import TransitionError
from projects.delivery import services
from projects.models import Deliverable, DeliverableStatus, NonConformanceStatus, SignOffOverride
from tests import factories
from tests.projects import steps


def test_it_keeps_acceptance_criteria_as_a_list(deliverable):
    assert deliverable.acceptance_criteria == ["90 seconds", "Subtitled"]
    assert deliverable.status == DeliverableStatus.NOT_STARTED


def test_it_blocks_sign_off_while_a_non_conformance_is_open(deliverable, pm, member, standard, admin_user, client_user):
    steps.to_review(deliverable, pm)
    review = steps.review(deliverable, member, standard, fail_first=True)
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
    steps.to_review(deliverable, pm)
    steps.review(deliverable, member, standard, fail_first=True)
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


def test_it_stamps_a_sign_off_and_makes_it_final(deliverable, pm, client_user, other_client_user, member):
    milestone = factories.MilestoneFactory(project=deliverable.project, weight=Decimal("2"))
    services.deliverable_update(deliverable=deliverable, user=pm, milestone=milestone)
    steps.to_review(deliverable, pm)
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
    steps.to_review(deliverable, pm)
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
