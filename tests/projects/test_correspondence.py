"""Correspondence log, letters on the letterhead (PDF), and reminders sent once per item."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects.documents import letters, services
from projects.documents.reminders import reminders_send
from projects.documents.uploads import UploadRefused
from projects.models import Correspondence, CorrespondenceAttachment, ReminderSent
from tests import factories
from tests.projects.document_files import PNG_BYTES, pdf, upload

pytestmark = pytest.mark.django_db


def log_letter(project, pm, **kwargs):
    values = {
        "project": project,
        "user": pm,
        "direction": "in",
        "channel": "letter",
        "date": dt.date(2025, 3, 3),
        "counterpart_kind": "authority",
        "counterpart_organisation": "Camden Council Planning",
        "counterpart_person": "J. Officer",
        "subject": "Hoarding licence: further information",
        "their_reference": "2025/0412/HL",
    }
    return services.correspondence_log(**(values | kwargs))


def test_it_logs_correspondence_with_references_attachments_and_what_it_concerns(world, pm):
    project = world["alpha_project"]
    permit = services.document_create(project=project, user=pm, kind="permit", title="Hoarding licence", upload=pdf())
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
    other = services.document_create(
        project=world["beta_project"], user=admin_user, kind="permit", title="Beta permit", upload=pdf()
    )
    with pytest.raises(Refused, match="this project's"):
        log_letter(world["alpha_project"], pm, documents=[other])
    assert Correspondence.objects.count() == 0


def test_it_writes_a_letter_from_a_template_as_a_pdf_on_the_letterhead(settings, world, pm):
    settings.APM_COMPANY_NAME = "Northwind Account Services"
    project = world["alpha_project"]
    template = factories.LetterTemplateFactory()
    subject, body = letters.letter_fill(
        template=template, project=project, user=pm, recipient_organisation="Camden Council", recipient_person=""
    )
    assert subject == "Permit application for Alpha Project"
    assert "Dear Sir or Madam" in body
    assert "(ALPHA-1)" in body
    entry = letters.letter_create(
        project=project,
        user=pm,
        recipient_organisation="Camden Council",
        recipient_address="5 Pancras Square\nLondon N1C 4AG",
        subject=subject,
        body=body + "\n\n<script>alert(1)</script> & <b>bold</b>",
        counterpart_kind="authority",
        their_reference="2025/0412/HL",
        reply_due_on=timezone.localdate() + dt.timedelta(days=14),
    )
    assert entry.our_reference == "ALPHA-1/L1"
    assert (entry.direction, entry.channel, entry.status) == ("out", "letter", "awaiting_reply")
    attachment = entry.attachments.get()
    assert attachment.is_letter
    data = attachment.file.read()
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    for expected in (
        "Northwind Account Services",
        "ALPHA-1/L1",
        "2025/0412/HL",
        "Permit application for Alpha Project",
    ):
        assert expected in text
    assert "<script>alert(1)</script> & <b>bold</b>" in text  # user text printed as text, never markup
    second = letters.letter_create(
        project=project,
        user=pm,
        recipient_organisation="Regulator",
        subject="S",
        body="B",
        counterpart_kind="authority",
    )
    assert second.our_reference == "ALPHA-1/L2"


def test_it_writes_a_letter_through_the_page_and_serves_it_as_an_attachment(world, pm, client):
    template = factories.LetterTemplateFactory()
    client.force_login(pm)
    url = reverse("projects:letter_create", args=["ALPHA-1"])
    filled = client.get(url, {"template": template.pk, "recipient_organisation": "Camden Council"}).content.decode()
    assert "Permit application for Alpha Project" in filled
    response = client.post(
        url,
        {
            "template": template.pk,
            "counterpart_kind": "authority",
            "recipient_organisation": "Camden Council",
            "subject": "",
            "body": "",
        },
    )
    entry = Correspondence.objects.get()
    assert response.status_code == 302
    assert entry.subject == "Permit application for Alpha Project"
    attachment = entry.attachments.get()
    download = client.get(reverse("projects:correspondence_file", args=["ALPHA-1", attachment.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="ALPHA-1-L1.pdf"'
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_it_hides_correspondence_from_clients(world, pm, client_user, client):
    entry = log_letter(world["alpha_project"], pm, uploads=[pdf("l.pdf")])
    client.force_login(client_user)
    assert client.get(reverse("projects:correspondence", args=["ALPHA-1"])).status_code == 404
    assert client.get(reverse("projects:correspondence_entry", args=["ALPHA-1", entry.pk])).status_code == 404
    attachment = entry.attachments.get()
    assert client.get(reverse("projects:correspondence_file", args=["ALPHA-1", attachment.pk])).status_code == 404


# --- Reminders ----------------------------------------------------------------------------


def reminder_emails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="reminder").order_by("pk"))


def test_it_reminds_an_overdue_reply_and_an_expiring_document_once_each(world, pm):
    project = world["alpha_project"]
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        entry = log_letter(project, pm, reply_due_on=dt.date(2025, 3, 10))
        permit = services.document_create(
            project=project,
            user=pm,
            kind="permit",
            title="Hoarding licence",
            upload=pdf(),
            expires_on=dt.date(2025, 4, 20),
        )
        assert reminders_send() == 0  # nothing due yet: the reply is not late, the permit is 50 days away
    with time_machine.travel(dt.datetime(2025, 3, 11, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 1  # the reply is a day late
        assert reminders_send() == 0
    with time_machine.travel(dt.datetime(2025, 3, 21, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 1  # the permit expires in 30 days
        assert reminders_send() == 0
    with time_machine.travel(dt.datetime(2025, 3, 22, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 0  # the next day: both reminded already
    emails = reminder_emails()
    assert [e.to for e in emails] == [[pm.email], [pm.email]]
    assert "Reply overdue: Hoarding licence: further information" in emails[0].subject
    assert "2025/0412/HL" in emails[0].body_text
    assert f"/projects/ALPHA-1/correspondence/{entry.pk}/" in emails[0].body_text
    assert "Expiring: Hoarding licence" in emails[1].subject
    assert "in 30 days" in emails[1].body_text
    assert sorted(ReminderSent.objects.values_list("kind", "object_id")) == [
        ("document_expiring", permit.pk),
        ("reply_overdue", entry.pk),
    ]


def test_it_reminds_again_only_when_the_date_moves_and_never_after_a_reply(world, pm):
    project = world["alpha_project"]
    entry = log_letter(project, pm, reply_due_on=dt.date(2025, 3, 10))
    with time_machine.travel(dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 1
        Correspondence.objects.filter(pk=entry.pk).update(reply_due_on=dt.date(2025, 3, 11))
        assert reminders_send() == 1  # a new due date is a new item
        services.correspondence_set_status(entry=entry, user=pm, status="replied")
        Correspondence.objects.filter(pk=entry.pk).update(reply_due_on=dt.date(2025, 3, 9))
        assert reminders_send() == 0  # replied: nothing to remind
    assert len(reminder_emails()) == 2


def test_it_sends_the_reminder_email_through_the_outbox(world, pm):
    log_letter(world["alpha_project"], pm, reply_due_on=dt.date(2025, 3, 10))
    with time_machine.travel(dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC), tick=False):
        from apm.outbox.services import outbox_send

        reminders_send()
        for email in reminder_emails():
            outbox_send(email_id=email.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [pm.email]
    assert mail.outbox[0].subject.startswith("[APM] ALPHA-1: Reply overdue")


def test_the_reminder_task_is_on_beat(settings):
    from projects.tasks import send_document_reminders

    entry = settings.CELERY_BEAT_SCHEDULE["send-document-reminders"]
    assert entry["task"] == send_document_reminders.name
