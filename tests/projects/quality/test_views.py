"""Quality pages: recording a review with evidence, and evidence served only inside."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.quality import services as quality
from projects.quality.services import CheckInput
from tests import factories
from tests.projects import steps

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_it_records_a_review_with_evidence_and_serves_it_only_inside(
    client, pm, member, client_user, project, deliverable
):
    standard = factories.QualityStandardFactory(name="House")
    criterion = factories.QualityCriterionFactory(standard=standard, text="Spelling")
    standard.projects.add(project)
    steps.to_review(deliverable, pm)
    client.force_login(member)
    url = reverse("projects:review_create", args=[project.code, deliverable.pk])
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
    check = deliverable.reviews.get().checks.get()
    assert deliverable.non_conformances.count() == 1
    evidence = reverse("projects:evidence", args=[project.code, check.pk])
    download = client.get(evidence)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    client.force_login(client_user)
    assert client.get(evidence).status_code == 404


def test_it_keeps_review_evidence_private(project, pm, member, deliverable):
    standard = factories.QualityStandardFactory(name="Private")
    criterion = factories.QualityCriterionFactory(standard=standard)
    standard.projects.add(project)
    steps.to_review(deliverable, pm)
    review = quality.review_record(
        deliverable=deliverable,
        reviewer=member,
        checks=[CheckInput(criterion.pk, "passed", evidence_file=SimpleUploadedFile("a.png", PNG))],
    )
    check = review.checks.get()
    with pytest.raises(ValueError, match="no URL"):
        check.evidence_file.url  # noqa: B018
