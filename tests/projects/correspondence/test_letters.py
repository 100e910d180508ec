"""Letters written in the app: a template filled in, a PDF on the letterhead, logged with our reference."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apm.errors import Refused
from projects.correspondence import letters
from projects.models import Correspondence, LetterTemplate
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


def _pdf_text(entry) -> str:
    data = entry.attachments.get().file.read()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_it_fills_every_placeholder_the_letter_page_lists(world, pm, client):
    project = world["alpha_project"]
    listed = [p.name for p in letters.PLACEHOLDERS]
    template = factories.LetterTemplateFactory(
        subject="About ${project_code}",
        body="\n\n".join(f"{name}: ${name}" if i % 2 else f"{name}: ${{{name}}}" for i, name in enumerate(listed)),
    )
    client.force_login(pm)
    url = reverse("projects:letter_create", args=[project.code])
    page = client.get(url).content.decode()
    assert all(f"${name}" in page for name in listed)  # the page lists every placeholder the filler knows
    filled = client.get(
        url,
        {
            "template": template.pk,
            "recipient_organisation": "Camden Council",
            "recipient_person": "Ms Green",
            "their_reference": "2025/0412/HL",
        },
    )
    form = filled.context["form"]
    response = client.post(
        url,
        {
            "template": template.pk,
            "counterpart_kind": "authority",
            "recipient_organisation": "Camden Council",
            "recipient_person": "Ms Green",
            "their_reference": "2025/0412/HL",
            # What the page filled in, then the PM adds a closing line with placeholders of their own.
            "subject": form.initial["subject"],
            "body": form.initial["body"] + "\n\nSigned for $client by $sender on $today",
        },
    )
    assert response.status_code == 302
    text = _pdf_text(Correspondence.objects.get())
    assert "$" not in text
    sender = pm.get_full_name() or pm.username
    today = timezone.localdate().strftime("%-d %B %Y")
    for name, value in {
        "project_name": project.name,
        "project_code": project.code,
        "client": project.client.name,
        "recipient_organisation": "Camden Council",
        "recipient_person": "Ms Green",
        "their_reference": "2025/0412/HL",
        "our_reference": "ALPHA-1/L1",
        "today": today,
        "sender": sender,
    }.items():
        assert f"{name}: {value}" in text
    assert f"Signed for {project.client.name} by {sender} on {today}" in text


@pytest.mark.parametrize("typo", ["$projct_name", "${nope}"])
def test_it_refuses_a_template_with_an_unknown_placeholder_and_saves_nothing(admin_user, pm, typo):
    with pytest.raises(Refused, match=re.escape(f"Unknown placeholder {typo}. Use only $project_name")):
        letters.letter_template_save(user=admin_user, name="Permit", subject="Permit", body=f"For {typo}.")
    with pytest.raises(Refused, match="Only an administrator"):
        letters.letter_template_save(user=pm, name="Permit", subject="Permit for $project_name", body="B")
    assert not LetterTemplate.objects.exists()
    saved = letters.letter_template_save(
        user=admin_user, name="Permit", subject="Permit for ${project_name}", body="Costs $$5 for $client."
    )
    assert LetterTemplate.objects.get() == saved


def test_it_refuses_an_unknown_placeholder_in_the_admin_form_with_a_message(admin_user, client):
    client.force_login(admin_user)
    url = reverse("admin:projects_lettertemplate_add")
    response = client.post(
        url, {"name": "Permit", "subject": "Permit for $projct_name", "body": "Dear ${nope},", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "Unknown placeholders $projct_name, ${nope}" in response.content.decode()
    assert not LetterTemplate.objects.exists()
    client.post(url, {"name": "Permit", "subject": "Permit for $project_name", "body": "Dear $recipient_person,"})
    assert LetterTemplate.objects.get().subject == "Permit for $project_name"


def test_it_refuses_a_letter_with_an_unknown_placeholder(world, pm):
    with pytest.raises(Refused, match=re.escape("Unknown placeholder $projct_name")):
        letters.letter_create(
            project=world["alpha_project"],
            user=pm,
            recipient_organisation="Council",
            subject="S",
            body="About $projct_name",
            counterpart_kind="authority",
        )
    assert not Correspondence.objects.exists()


def test_the_page_fills_a_template_once_so_dollars_in_values_and_escapes_print_as_typed(world, pm, client):
    project = world["alpha_project"]
    project.name = "Ca$h & Co"
    project.save()
    project.client.name = "Ca$hflow Ltd"
    project.client.save()
    template = factories.LetterTemplateFactory(
        subject="Permit for $project_name",
        body="Dear $recipient_person,\n\nFor $project_name of $client: a $$5 fee, not $$project_name.\n\n"
        "Our reference $our_reference of $today.",
    )
    client.force_login(pm)
    url = reverse("projects:letter_create", args=[project.code])
    form = client.get(url, {"template": template.pk, "recipient_organisation": "Council"}).context["form"]
    # Another letter is written while this one is on screen: the reference shown then would be stale.
    earlier = letters.letter_create(
        project=project, user=pm, recipient_organisation="Other", subject="S", body="B", counterpart_kind="authority"
    )
    response = client.post(
        url,
        {
            "template": template.pk,
            "counterpart_kind": "authority",
            "recipient_organisation": "Council",
            "subject": form.initial["subject"],
            "body": form.initial["body"],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    entry = Correspondence.objects.exclude(pk=earlier.pk).get()
    assert entry.our_reference == "ALPHA-1/L2"
    assert entry.subject == "Permit for Ca$h & Co"
    text = _pdf_text(entry)
    assert "For Ca$h & Co of Ca$hflow Ltd: a $5 fee, not $project_name." in " ".join(text.split())
    today = timezone.localdate().strftime("%-d %B %Y")
    assert f"Our reference {entry.our_reference} of {today}." in " ".join(text.split())


def test_a_template_chosen_with_an_empty_body_is_filled_once(world, pm, client):
    project = world["alpha_project"]
    project.name = "Ca$h & Co"
    project.save()
    template = factories.LetterTemplateFactory(subject="For $project_name", body="A $$5 fee for $project_name.")
    client.force_login(pm)
    response = client.post(
        reverse("projects:letter_create", args=[project.code]),
        {"template": template.pk, "counterpart_kind": "authority", "recipient_organisation": "Council",
         "subject": "", "body": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    entry = Correspondence.objects.get()
    assert entry.subject == "For Ca$h & Co"
    assert "A $5 fee for Ca$h & Co." in _pdf_text(entry)
