"""The Django admin: every model opens for administrators, and nobody else gets in."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from projects.common.admin_files import PrivateFileWidget
from projects.models import (
    Comment,
    CommentAttachment,
    CorrespondenceAttachment,
    Document,
    DocumentVersion,
    Expense,
    ImportJob,
    QualityReview,
    ReviewCheck,
    StatusUpdate,
)
from projects.models.budget import private_storage
from reports.models import Delivery
from tests import factories

pytestmark = pytest.mark.django_db

#: Every model of APM's own apps: the admin must cover each one (a new model is covered without editing this).
APM_APPS = ("accounts", "outbox", "teams", "projects", "reports")
MODELS = sorted(
    f"{model._meta.app_label}.{model._meta.model_name}"
    for label in APM_APPS
    for model in django_apps.get_app_config(label).get_models()
    if not model._meta.auto_created and not model.__name__.startswith("Historical")
)


def admin_url(label: str, view: str, *args) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def make_report(*, project=None, department=None, audience="internal", title="A report"):
    report = factories.ReportFactory(
        kind="highlight" if project else "portfolio",
        audience=audience,
        scope="project" if project else "department",
        project=project,
        department=department,
        title=title,
        snapshot={"title": title},
    )
    report.pdf.save(f"r{report.pk}.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return report


def staff(user, *codenames: str):
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def label_of(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


REGISTERED = sorted(label for label in MODELS if django_apps.get_model(label) in admin.site._registry)


def test_it_registers_every_model_of_apms_apps_directly_or_as_an_inline():
    covered = {label_of(model) for model in admin.site._registry}
    covered |= {
        label_of(inline.model) for model_admin in admin.site._registry.values() for inline in model_admin.inlines
    }
    assert set(MODELS) - covered == set()


@pytest.mark.parametrize("label", REGISTERED)
def test_it_opens_every_changelist_and_search_for_a_superuser(client, world, admin_user, label):
    report = make_report(project=world["alpha_project"])
    Delivery.objects.create(report=report, email_address="x@example.com", recipient_kind="extra")
    factories.StatusUpdateFactory(project=world["alpha_project"])
    factories.MilestoneFactory(project=world["alpha_project"])
    client.force_login(admin_user)
    assert client.get(admin_url(label, "changelist")).status_code == 200
    assert client.get(admin_url(label, "changelist"), {"q": "alpha"}).status_code == 200


@pytest.mark.parametrize(
    "label",
    ["projects.client", "projects.project", "projects.statusupdate", "projects.milestone", "reports.reportschedule"],
)
def test_it_opens_the_add_form_for_a_superuser(client, world, admin_user, label):
    client.force_login(admin_user)
    assert client.get(admin_url(label, "add")).status_code == 200


def test_it_shows_a_client_with_its_contacts_inline(client, world, admin_user):
    client.force_login(admin_user)
    html = client.get(admin_url("projects.client", "change", world["acme"].pk)).content.decode()
    assert "ann@acme.example" in html


def test_it_shows_a_report_read_only_with_a_pdf_link_and_delivery_status(client, world, admin_user):
    report = make_report(project=world["alpha_project"], title="Alpha highlight")
    email = factories.OutboundEmailFactory(to=["head@example.com"], status="sent")
    Delivery.objects.create(report=report, email_address="head@example.com", recipient_kind="extra", email=email)
    client.force_login(admin_user)
    html = client.get(admin_url("reports.report", "change", report.pk)).content.decode()
    assert reverse("reports:pdf", args=[report.pk]) in html
    assert 'name="title"' not in html  # read-only: no input for the snapshot's fields
    assert "Sent" in html
    assert client.get(admin_url("reports.report", "add")).status_code == 403
    listing = client.get(admin_url("reports.delivery", "changelist")).content.decode()
    assert "head@example.com" in listing
    assert "Sent" in listing


def test_it_refuses_the_admin_to_staff_who_are_not_administrators(client, world, head):
    staff(head, "view_project", "change_project", "add_statusupdate", "view_report", "change_department")
    client.force_login(head)

    for url in (
        admin_url("projects.project", "changelist"),
        admin_url("projects.project", "change", world["alpha_project"].pk),
        admin_url("teams.department", "change", world["beta"].pk),
        admin_url("outbox.outboundemail", "changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]
    # Nor can they write around the pages: a status update on another department's project.
    before = StatusUpdate.objects.count()
    response = client.post(
        admin_url("projects.statusupdate", "add"),
        {"project": world["beta_project"].pk, "as_of": "2025-03-31", "rating_published": "Red", "withheld": "{}"},
    )
    assert response.status_code == 302
    assert StatusUpdate.objects.count() == before
    assert not world["beta"].heads.filter(pk=head.pk).exists()


def test_it_refuses_the_admin_to_users_who_are_not_staff(client, world, client_user):
    client.force_login(client_user)
    response = client.get(admin_url("projects.project", "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@time_machine.travel(dt.datetime(2025, 6, 4, 10, 0, tzinfo=dt.UTC), tick=False)
def test_it_activates_a_schedule_saved_in_the_admin_and_validates_it_like_the_pages(client, world, admin_user):
    from reports.models import ReportSchedule

    client.force_login(admin_user)
    data = {
        "name": "Admin made", "kind": "portfolio", "audience": "internal", "scope": "department",
        "department": world["alpha"].pk, "frequency": "weekly", "weekdays": ["4"], "day_of_month": "1",
        "local_time": "09:00", "time_zone": "Europe/London", "send_to_reporting_heads": "on",
        "extra_recipients": "", "active": "on",
    }  # fmt: skip
    bad = client.post(admin_url("reports.reportschedule", "add"), {**data, "weekdays": []})
    assert bad.status_code == 200
    assert not ReportSchedule.objects.exists()
    response = client.post(admin_url("reports.reportschedule", "add"), data)
    assert response.status_code == 302
    # Thursday 5 June 2025, 09:00 BST.
    assert ReportSchedule.objects.get().next_run_at == dt.datetime(2025, 6, 5, 8, 0, tzinfo=dt.UTC)


#: Every model with a file in private storage (no URL; served only by views that check access).
PRIVATE_FILE_MODELS = sorted(
    label_of(model)
    for model in django_apps.get_models()
    if any(getattr(field, "storage", None) is private_storage for field in model._meta.get_fields())
    and not model.__name__.startswith("Historical")
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def private_files(world, admin_user):
    """One row of each model in PRIVATE_FILE_MODELS with its file stored: label -> (admin page, download URL)."""
    project = world["alpha_project"]
    code = project.code
    now = timezone.now()
    expense = Expense(
        project=project, date=dt.date(2025, 3, 3), amount="12.50", currency="GBP", category="travel",
        supplier="Rail", receipt_name="ticket.pdf", receipt_content_type="application/pdf",
    )  # fmt: skip
    expense.receipt.save("receipt.pdf", ContentFile(PDF), save=True)
    deliverable = factories.DeliverableFactory(project=project)
    review = QualityReview.objects.create(
        deliverable=deliverable, reviewer=admin_user, completed_at=now, outcome="passed"
    )
    check = ReviewCheck(
        review=review, criterion=factories.QualityCriterionFactory(), result="passed",
        evidence_name="minutes.pdf", evidence_content_type="application/pdf",
    )  # fmt: skip
    check.evidence_file.save("evidence.pdf", ContentFile(PDF), save=True)
    document = Document.objects.create(project=project, kind="contract", title="Master services agreement")
    version = DocumentVersion(
        document=document, number=1, original_name="msa.pdf", content_type="application/pdf", size=len(PDF),
        sha256="0" * 64, uploaded_at=now,
    )  # fmt: skip
    version.file.save("msa.pdf", ContentFile(PDF), save=True)
    entry = factories.CorrespondenceFactory(project=project)
    letter = CorrespondenceAttachment(
        correspondence=entry, original_name="letter.pdf", content_type="application/pdf", size=len(PDF),
        is_letter=True, uploaded_at=now,
    )  # fmt: skip
    letter.file.save("letter.pdf", ContentFile(PDF), save=True)
    job = ImportJob(owner=admin_user, original_name="portfolio.pdf", size=len(PDF))
    job.file.save("portfolio.pdf", ContentFile(PDF), save=True)
    comment = Comment.objects.create(project=project, deliverable=deliverable, author=admin_user, body="See the file")
    comment_file = CommentAttachment(
        comment=comment, original_name="notes.pdf", content_type="application/pdf", size=len(PDF)
    )
    comment_file.file.save("notes.pdf", ContentFile(PDF), save=True)
    return {
        "projects.commentattachment": (
            admin_url("projects.comment", "change", comment.pk),
            reverse("projects:comment_file", args=[code, comment_file.pk]),
        ),
        "projects.importjob": (
            admin_url("projects.importjob", "change", job.pk),
            reverse("imports:file", args=[job.pk]),
        ),
        "projects.expense": (
            admin_url("projects.expense", "change", expense.pk),
            reverse("projects:expense_receipt", args=[code, expense.pk]),
        ),
        "projects.reviewcheck": (
            admin_url("projects.qualityreview", "change", review.pk),
            reverse("projects:evidence", args=[code, check.pk]),
        ),
        "projects.documentversion": (
            admin_url("projects.document", "change", document.pk),
            reverse("projects:version_download", args=[code, version.pk]),
        ),
        "projects.correspondenceattachment": (
            admin_url("projects.correspondence", "change", entry.pk),
            reverse("projects:correspondence_file", args=[code, letter.pk]),
        ),
    }


def test_it_knows_every_model_with_a_private_file(private_files):
    assert sorted(private_files) == PRIVATE_FILE_MODELS


@pytest.mark.parametrize("label", PRIVATE_FILE_MODELS)
def test_it_links_a_private_file_to_its_protected_download_on_the_admin_page(client, admin_user, private_files, label):
    page, download = private_files[label]
    client.force_login(admin_user)
    response = client.get(page)
    assert response.status_code == 200
    assert f'href="{download}"' in response.content.decode()
    # The link is one the administrator may follow: the file comes as an attachment.
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF


def test_it_keeps_a_receipt_when_an_expense_is_saved_in_the_admin(client, world, admin_user, private_files):
    expense = Expense.objects.get()
    stored = expense.receipt.name
    client.force_login(admin_user)
    response = client.post(
        admin_url("projects.expense", "change", expense.pk),
        {
            "project": world["alpha_project"].pk, "date": "2025-03-04", "amount": "13.00", "currency": "GBP",
            "category": "travel", "supplier": "Rail", "description": "", "receipt_name": "ticket.pdf",
            "receipt_content_type": "application/pdf", "created_by": "",
            # Read-only in the admin: an upload here would skip the check by content.
            "receipt": ContentFile(b"MZ not a receipt", name="other.pdf"),
        },
    )  # fmt: skip
    assert response.status_code == 302
    expense.refresh_from_db()
    assert (expense.amount, expense.receipt.name) == (Decimal("13.00"), stored)
    assert expense.receipt.read() == PDF


@pytest.mark.parametrize("label", REGISTERED)
def test_it_opens_every_add_form_for_a_superuser_or_refuses_it(client, world, admin_user, label):
    client.force_login(admin_user)
    response = client.get(admin_url(label, "add"))
    assert response.status_code in (200, 403)
    if label in ("projects.expense", "projects.qualityreview", "projects.document", "projects.correspondence"):
        assert response.status_code == 200


def test_it_shows_a_private_file_without_a_download_view_as_plain_text(private_files):
    expense = Expense.objects.get()
    html = PrivateFileWidget().render("receipt", expense.receipt)
    assert html == os.path.basename(expense.receipt.name)
    assert PrivateFileWidget().render("receipt", Expense().receipt) == "—"
