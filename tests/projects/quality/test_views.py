"""Quality pages: recording a review with evidence, and evidence served only inside."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.delivery import services as delivery_services
from projects.quality import services as quality
from projects.quality.services import CheckInput
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def project(world):
    return world["alpha_project"]


@pytest.fixture
def item(project, pm):
    return delivery_services.deliverable_create(
        project=project, user=pm, name="Launch video", due_date=dt.date(2025, 6, 30)
    )


def test_it_records_a_review_with_evidence_and_serves_it_only_inside(client, pm, member, client_user, project, item):
    standard = factories.QualityStandardFactory(name="House")
    criterion = factories.QualityCriterionFactory(standard=standard, text="Spelling")
    standard.projects.add(project)
    delivery_services.deliverable_transition(deliverable=item, to="in_progress", user=pm)
    delivery_services.deliverable_transition(deliverable=item, to="in_review", user=pm)
    client.force_login(member)
    url = reverse("projects:review_create", args=[project.code, item.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            f"result-{criterion.pk}": "failed",
            f"note-{criterion.pk}": "Typo",
            f"file-{criterion.pk}": SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    check = item.reviews.get().checks.get()
    assert item.non_conformances.count() == 1
    evidence = reverse("projects:evidence", args=[project.code, check.pk])
    download = client.get(evidence)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    client.force_login(client_user)
    assert client.get(evidence).status_code == 404


def test_it_keeps_review_evidence_private(project, pm, member, item):
    standard = factories.QualityStandardFactory(name="Private")
    criterion = factories.QualityCriterionFactory(standard=standard)
    standard.projects.add(project)
    delivery_services.deliverable_transition(deliverable=item, to="in_progress", user=pm)
    delivery_services.deliverable_transition(deliverable=item, to="in_review", user=pm)
    review = quality.review_record(
        deliverable=item,
        reviewer=member,
        checks=[CheckInput(criterion.pk, "passed", evidence_file=SimpleUploadedFile("a.png", PNG))],
    )
    check = review.checks.get()
    with pytest.raises(ValueError, match="no URL"):
        check.evidence_file.url  # noqa: B018
