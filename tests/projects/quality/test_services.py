"""Quality standards, reviews with evidence, and non-conformances through to verification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apm.errors import Refused
from projects.common.workflow import TransitionError
from projects.delivery import services
from projects.delivery.selectors import deliverables_awaiting_sign_off
from projects.models import DeliverableStatus, NonConformanceStatus
from projects.quality import services as quality
from projects.quality.services import CheckInput
from tests.projects import steps

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_it_lets_sign_off_go_ahead_once_the_action_is_verified(deliverable, pm, member, standard, client_user):
    steps.to_review(deliverable, pm)
    steps.review(deliverable, member, standard, fail_first=True)
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


def test_it_refuses_evidence_that_is_not_an_allowed_file(deliverable, pm, member, standard):
    steps.to_review(deliverable, pm)
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
    steps.to_review(deliverable, pm)
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
