"""The correspondence log: references, attachments checked by content, what it concerns, and who sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from apm.errors import Refused
from apm.uploads import UploadRefused
from projects.correspondence import services
from projects.documents import services as document_services
from projects.models import Correspondence, CorrespondenceAttachment
from tests import factories
from tests.projects.document_files import PNG_BYTES, pdf, upload
from tests.projects.steps import log_letter

pytestmark = pytest.mark.django_db


def test_it_logs_correspondence_with_references_attachments_and_what_it_concerns(world, pm):
    project = world["alpha_project"]
    permit = document_services.document_create(
        project=project, user=pm, kind="permit", title="Hoarding licence", upload=pdf()
    )
    clause = factories.ClauseFactory(project=project)
    entry = log_letter(
        project, pm, reply_due_on=dt.date(2025, 3, 17), documents=[permit], clauses=[clause], uploads=[pdf("l.pdf")]
    )
    assert entry.status == "awaiting_reply"
    assert entry.their_reference == "2025/0412/HL"
    assert list(entry.documents.all()) == [permit]
    assert list(entry.clauses.all()) == [clause]
    assert entry.attachments.get().content_type == "application/pdf"
    services.correspondence_set_status(entry=entry, user=pm, status="replied")
    entry.refresh_from_db()
    assert entry.replied_on is not None


def test_it_refuses_an_attachment_that_is_not_what_it_claims(world, pm):
    with pytest.raises(UploadRefused, match="PNG image"):
        log_letter(world["alpha_project"], pm, uploads=[upload("letter.pdf", PNG_BYTES)])
    assert Correspondence.objects.count() == 0
    assert CorrespondenceAttachment.objects.count() == 0


def test_it_refuses_a_permit_of_another_project(world, pm, admin_user):
    other = document_services.document_create(
        project=world["beta_project"], user=admin_user, kind="permit", title="Beta permit", upload=pdf()
    )
    with pytest.raises(Refused, match="this project's"):
        log_letter(world["alpha_project"], pm, documents=[other])
    assert Correspondence.objects.count() == 0


def test_it_hides_correspondence_from_clients(world, pm, client_user, client):
    entry = log_letter(world["alpha_project"], pm, uploads=[pdf("l.pdf")])
    client.force_login(client_user)
    assert client.get(reverse("projects:correspondence", args=["ALPHA-1"])).status_code == 404
    assert client.get(reverse("projects:correspondence_entry", args=["ALPHA-1", entry.pk])).status_code == 404
    attachment = entry.attachments.get()
    assert client.get(reverse("projects:correspondence_file", args=["ALPHA-1", attachment.pk])).status_code == 404
