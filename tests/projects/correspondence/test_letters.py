"""Letters written in the app: a template filled in, a PDF on the letterhead, logged with our reference."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from projects.correspondence import letters
from projects.models import Correspondence
from tests import factories

pytestmark = pytest.mark.django_db


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
