"""Evidence links: only http and https addresses, refused by the model and by the review service."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse

from apm.errors import Refused
from projects.delivery import services
from projects.models import DeliverableStatus, NonConformance, QualityReview, ReviewCheck
from projects.quality import services as quality
from projects.quality.services import CheckInput
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

NOT_WEB = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ftp://files.example.com/evidence.pdf",
    "ftps://files.example.com/evidence.pdf",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
]
WEB = ["https://drive.example.com/d/123?view=1", "http://intranet.example.com/qa/7"]


@pytest.fixture
def standard(world):
    std = factories.QualityStandardFactory(name="House style")
    factories.QualityCriterionFactory(standard=std, text="Spelling checked")
    factories.QualityCriterionFactory(standard=std, text="Brand colours used")
    std.projects.add(world["alpha_project"])
    return std


@pytest.fixture
def in_review(world, pm, standard):
    item = services.deliverable_create(
        project=world["alpha_project"], user=pm, name="Launch video", due_date=dt.date(2025, 6, 30), owner=pm
    )
    services.deliverable_transition(deliverable=item, to=DeliverableStatus.IN_PROGRESS, user=pm)
    services.deliverable_transition(deliverable=item, to=DeliverableStatus.IN_REVIEW, user=pm)
    return item


def _checks(standard, *, link: str, evidence_file=None) -> list[CheckInput]:
    first, second = standard.criteria.order_by("order")
    return [
        CheckInput(first.pk, "failed", note="Typos on slide 3", evidence_file=evidence_file),
        CheckInput(second.pk, "passed", evidence_link=link),
    ]


@pytest.mark.parametrize("link", NOT_WEB)
def test_it_refuses_evidence_links_that_are_not_http_or_https_in_the_model(link):
    check = ReviewCheck(result="passed", evidence_link=link)
    with pytest.raises(ValidationError) as refused:
        check.full_clean(exclude=["review", "criterion"])
    assert "evidence_link" in refused.value.message_dict


@pytest.mark.parametrize("link", WEB)
def test_it_accepts_http_and_https_evidence_links_in_the_model(link):
    ReviewCheck(result="passed", evidence_link=link).full_clean(exclude=["review", "criterion"])


#: Fields named url that hold a path inside APM, not an address: they refuse every address, web ones too.
PATHS = {"Notification.url"}


def test_it_allows_only_a_path_inside_apm_in_a_path_field():
    for model, field in _url_like_fields(paths=True):
        assert f"{model.__name__}.{field.name}" in PATHS
        assert _accepts(field, "/projects/X-1/deliverables/3/#comment-4")
        for value in [*NOT_WEB, *WEB, "//evil.example/x", "/\\evil.example/x"]:
            assert not _accepts(field, value.strip()), value


def _url_like_fields(*, paths: bool = False):
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (f"{model.__name__}.{field.name}" in PATHS) != paths:
                continue
            if isinstance(field, models.URLField) or (
                isinstance(field, models.CharField | models.TextField) and re.search(r"url|link", field.name)
            ):
                yield model, field


def _accepts(field: models.Field, value: str) -> bool:
    try:
        field.clean(value, None)
    except ValidationError:
        return False
    return True


def test_it_allows_only_http_and_https_in_every_url_field_of_every_model():
    fields = list(_url_like_fields())
    assert "ReviewCheck.evidence_link" in {f"{model.__name__}.{field.name}" for model, field in fields}
    wrong = [
        f"{model.__name__}.{field.name}: {value}"
        for model, field in fields
        for value in [*NOT_WEB, *WEB]
        if _accepts(field, value.strip()) != (value in WEB)
    ]
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize("link", NOT_WEB)
def test_it_refuses_a_review_with_such_an_evidence_link_and_records_nothing(
    in_review, member, standard, link, settings
):
    upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    with pytest.raises(Refused, match="http:// or https://") as refused:
        quality.review_record(
            deliverable=in_review, reviewer=member, checks=_checks(standard, link=link, evidence_file=upload)
        )
    assert "Brand colours used" in refused.value.message
    assert QualityReview.objects.count() == 0
    assert ReviewCheck.objects.count() == 0
    assert NonConformance.objects.count() == 0
    assert ReviewCheck.history.count() == 0
    in_review.refresh_from_db()
    assert in_review.status == DeliverableStatus.IN_REVIEW
    private = settings.PRIVATE_MEDIA_ROOT
    assert not private.exists() or not any(path.is_file() for path in private.rglob("*"))


@pytest.mark.django_db
def test_it_records_a_review_with_an_https_evidence_link(in_review, member, standard):
    review = quality.review_record(
        deliverable=in_review, reviewer=member, checks=_checks(standard, link="  https://drive.example.com/d/1  ")
    )
    assert review.checks.get(criterion__text="Brand colours used").evidence_link == "https://drive.example.com/d/1"


@pytest.mark.django_db
def test_it_shows_the_refusal_on_the_review_page_and_the_deliverable_page_has_no_such_link(
    client, in_review, member, standard
):
    first, second = standard.criteria.order_by("order")
    client.force_login(member)
    response = client.post(
        reverse("projects:review_create", args=[in_review.project.code, in_review.pk]),
        {
            f"result-{first.pk}": "passed",
            f"result-{second.pk}": "passed",
            f"link-{second.pk}": "javascript:alert(document.cookie)",
        },
    )
    assert response.status_code == 200
    assert "http:// or https://" in response.content.decode()
    assert QualityReview.objects.count() == 0
    page = client.get(reverse("projects:deliverable", args=[in_review.project.code, in_review.pk]))
    assert page.status_code == 200
    assert "javascript:" not in page.content.decode()
