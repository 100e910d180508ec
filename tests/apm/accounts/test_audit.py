"""The audit log: document downloads (receipts, review evidence) are logged with who and when."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from apm import access
from apm.accounts.models import AuditEvent, AuditKind
from projects.models import Expense
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_logs_receipt_downloads(client, world, pm):
    expense = Expense.objects.create(
        project=world["alpha_project"],
        date=dt.date(2025, 3, 3),
        amount=Decimal("12.50"),
        currency="GBP",
        category="travel",
        supplier="Rail",
        receipt_content_type="application/pdf",
    )
    expense.receipt.save("r.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    client.force_login(pm)
    response = client.get(reverse("projects:expense_receipt", args=["ALPHA-1", expense.pk]), REMOTE_ADDR="192.0.2.5")
    assert response.status_code == 200
    event = AuditEvent.objects.get(kind=AuditKind.DOCUMENT_DOWNLOADED)
    assert (event.user, event.target, event.ip) == (pm, f"receipt:{expense.pk}", "192.0.2.5")
    assert event.created_at <= timezone.now()


def test_it_logs_review_evidence_downloads(client, world, pm):
    deliverable = factories.DeliverableFactory(project=world["alpha_project"])
    review = apps.get_model("projects", "QualityReview").objects.create(
        deliverable=deliverable, reviewer=pm, completed_at=timezone.now(), outcome="passed"
    )
    check = apps.get_model("projects", "ReviewCheck").objects.create(
        review=review, criterion=factories.QualityCriterionFactory(), result="passed", evidence_name="e.pdf"
    )
    check.evidence_file.save("e.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    client.force_login(pm)
    assert client.get(reverse("projects:evidence", args=["ALPHA-1", check.pk])).status_code == 200
    assert AuditEvent.objects.get(kind=AuditKind.DOCUMENT_DOWNLOADED).target == f"evidence:{check.pk}"


def test_it_shows_the_audit_log_to_administrators_only(world, admin_user, head, pm, client_user):
    AuditEvent.objects.create(kind=AuditKind.LOGIN, username="x")
    assert access.see_audit.queryset(admin_user).count() == 1
    for user in (head, pm, client_user):
        assert access.see_audit.queryset(user).count() == 0
