"""Outgoing letters written in the app: a template's text filled in, rendered on the letterhead, logged.

Templates use ``string.Template`` placeholders (``$project_name`` ...), never
Django template code: a PM's text cannot reach objects or settings. The
letter is rendered by the one HTML->PDF function (:func:`apm.pdf.html_to_pdf`,
static files only) from ``templates/letters/letter.html`` with the company's
letterhead (``settings.APM_COMPANY_NAME`` and ``APM_COMPANY_ADDRESS``), stored
as the entry's attachment (private) and logged as outgoing correspondence
with our reference ``<CODE>/L<n>``. A refused letter (``apm.errors.Refused``)
stores nothing.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apm import access
from apm.errors import Refused
from apm.pdf import html_to_pdf
from projects.correspondence.services import correspondence_attachment_store, correspondence_log
from projects.documents.services import NOT_A_MANAGER
from projects.models import (
    Channel,
    Clause,
    Correspondence,
    Direction,
    Document,
    LetterTemplate,
    Project,
)

if TYPE_CHECKING:
    from apm.accounts.models import User

PLACEHOLDERS = (
    "project_name",
    "project_code",
    "client",
    "recipient_organisation",
    "recipient_person",
    "their_reference",
    "our_reference",
    "today",
    "sender",
)


def _person(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def next_reference(project: Project) -> str:
    """Our next letter reference for ``project``: ``<CODE>/L<n>``, n counting the project's letters from 1."""
    count = Correspondence.objects.filter(
        project=project, direction=Direction.OUT, channel=Channel.LETTER, our_reference__startswith=f"{project.code}/L"
    ).count()
    return f"{project.code}/L{count + 1}"


def letter_fill(
    *,
    template: LetterTemplate,
    project: Project,
    user: User,
    recipient_organisation: str = "",
    recipient_person: str = "",
    their_reference: str = "",
    today: dt.date | None = None,
) -> tuple[str, str]:
    """``(subject, body)`` of ``template`` with the placeholders filled; unknown ``$names`` stay as typed."""
    values = {
        "project_name": project.name,
        "project_code": project.code,
        "client": project.client.name if project.client is not None else "",
        "recipient_organisation": recipient_organisation,
        "recipient_person": recipient_person or "Sir or Madam",
        "their_reference": their_reference,
        "our_reference": next_reference(project),
        "today": (today or timezone.localdate()).strftime("%-d %B %Y"),
        "sender": _person(user),
    }
    return (
        string.Template(template.subject).safe_substitute(values),
        string.Template(template.body).safe_substitute(values),
    )


def letter_html(
    *,
    project: Project,
    user: User | None,
    our_reference: str,
    their_reference: str,
    date: dt.date,
    recipient_organisation: str,
    recipient_person: str,
    recipient_address: str,
    subject: str,
    body: str,
) -> str:
    """The letter as a complete HTML document on the letterhead (text escaped; paragraphs kept)."""
    return render_to_string(
        "letters/letter.html",
        {
            "company_name": settings.APM_COMPANY_NAME,
            "company_address": settings.APM_COMPANY_ADDRESS,
            "project": project,
            "our_reference": our_reference,
            "their_reference": their_reference,
            "date": date,
            "recipient_organisation": recipient_organisation,
            "recipient_person": recipient_person,
            "recipient_address": recipient_address,
            "subject": subject,
            "paragraphs": [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()],
            "sender": _person(user),
            "sender_title": user.get_role_display() if user else "",
        },
    )


def letter_create(
    *,
    project: Project,
    user: User,
    recipient_organisation: str,
    subject: str,
    body: str,
    counterpart_kind: str,
    recipient_person: str = "",
    recipient_address: str = "",
    their_reference: str = "",
    reply_due_on: dt.date | None = None,
    date: dt.date | None = None,
    documents: list[Document] | tuple = (),
    clauses: list[Clause] | tuple = (),
) -> Correspondence:
    """Write a letter: render the PDF on the letterhead, store it, log the outgoing entry with our reference.

    Returns the new ``Correspondence`` (its attachment ``is_letter``). Raises
    ``Refused`` for someone who may not edit the project, an empty
    recipient, subject or body, a reply due before the date, permits or
    obligations of another project, or a value the model refuses (an unknown
    counterpart kind); nothing is stored then.
    """
    access.edit_project.require(user, project, NOT_A_MANAGER)
    if not subject.strip() or not body.strip() or not recipient_organisation.strip():
        raise Refused("A letter needs a recipient organisation, a subject and a body.")
    date = date or timezone.localdate()
    if reply_due_on is not None and reply_due_on < date:
        raise Refused("The reply cannot be due before the letter is dated.")
    if any(d.project_id != project.pk for d in documents) or any(c.project_id != project.pk for c in clauses):
        raise Refused("The permits, filings and obligations must be this project's.")
    with transaction.atomic():
        # One letter at a time per project, so two PMs never get the same reference.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        reference = next_reference(project)
        html = letter_html(
            project=project,
            user=user,
            our_reference=reference,
            their_reference=their_reference.strip(),
            date=date,
            recipient_organisation=recipient_organisation.strip(),
            recipient_person=recipient_person.strip(),
            recipient_address=recipient_address.strip(),
            subject=subject.strip(),
            body=body,
        )
        pdf, _pages = html_to_pdf(html)
        entry = correspondence_log(
            project=project,
            user=user,
            direction=Direction.OUT,
            channel=Channel.LETTER,
            date=date,
            counterpart_kind=counterpart_kind,
            counterpart_organisation=recipient_organisation,
            counterpart_person=recipient_person,
            subject=subject,
            summary=body,
            their_reference=their_reference,
            our_reference=reference,
            reply_due_on=reply_due_on,
            documents=documents,
            clauses=clauses,
            reason=f"Letter {reference} written",
        )
        correspondence_attachment_store(
            entry=entry,
            user=user,
            content=ContentFile(pdf),
            storage_name=f"{project.code}-letter-{entry.pk}.pdf",
            original_name=f"{reference.replace('/', '-')}.pdf",
            content_type="application/pdf",
            is_letter=True,
        )
    return entry
