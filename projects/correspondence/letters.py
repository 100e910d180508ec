"""Outgoing letters written in the app: a template's text filled in, rendered on the letterhead, logged.

Templates use ``string.Template`` placeholders (``$project_name`` or
``${project_name}``), never Django template code: a PM's text cannot reach
objects or settings. :data:`PLACEHOLDERS` is the one list of them: the letter
page lists it, the filler fills it, and a template or letter naming anything
else is refused (:func:`letter_text_check`). A letter's subject and body are
filled once, when it is written, so a placeholder typed into the text is filled
too, with the reference and date the letter really gets; the form's text from
a template (:func:`letter_fill`) has its values' ``$`` escaped and those two
left as placeholders. The
letter is rendered by the one HTML->PDF function (:func:`apm.pdf.html_to_pdf`,
static files only) from ``templates/letters/letter.html`` with the company's
letterhead (``settings.APM_COMPANY_NAME`` and ``APM_COMPANY_ADDRESS``), stored
as the entry's attachment (private) and logged as outgoing correspondence
with our reference ``<CODE>/L<n>``. A refused letter (``apm.errors.Refused``)
stores nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apm import access, validation
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


def _person(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


@dataclass(frozen=True)
class LetterFacts:
    """What a letter's placeholders are filled from."""

    project: Project
    user: User | None
    recipient_organisation: str
    recipient_person: str
    their_reference: str
    our_reference: str
    date: dt.date


@dataclass(frozen=True)
class Placeholder:
    """One ``$name`` a letter may use: what the letter page says it is, and how its value is found."""

    name: str
    meaning: str
    value: Callable[[LetterFacts], str]


#: Every placeholder a letter template or letter may use, in the order the letter page lists them.
PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("project_name", "the project's name", lambda f: f.project.name),
    Placeholder("project_code", "the project's code", lambda f: f.project.code),
    Placeholder("client", "the client's name", lambda f: f.project.client.name if f.project.client else ""),
    Placeholder("recipient_organisation", "the organisation written to", lambda f: f.recipient_organisation),
    Placeholder(
        "recipient_person", "the person written to (else Sir or Madam)", lambda f: f.recipient_person or "Sir or Madam"
    ),
    Placeholder("their_reference", "their reference number", lambda f: f.their_reference),
    Placeholder("our_reference", "our reference (<CODE>/L<n>)", lambda f: f.our_reference),
    Placeholder("today", "the letter's date (1 March 2025)", lambda f: f.date.strftime("%-d %B %Y")),
    Placeholder("sender", "your name", lambda f: _person(f.user)),
)


def placeholders_unknown(text: str) -> list[str]:
    """The ``$name`` and ``${name}`` in ``text`` that are not in :data:`PLACEHOLDERS`, as typed, in order.

    ``$$`` is a dollar sign, and a ``$`` before anything but a name is left as typed.
    """
    known = {p.name for p in PLACEHOLDERS}
    unknown: list[str] = []
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name is not None and name not in known and match.group(0) not in unknown:
            unknown.append(match.group(0))
    return unknown


def letter_text_check(*, subject: str, body: str) -> None:
    """Raise ``Refused`` naming every placeholder in ``subject`` or ``body`` that is not in :data:`PLACEHOLDERS`."""
    unknown = list(dict.fromkeys(placeholders_unknown(subject) + placeholders_unknown(body)))
    if unknown:
        listed = ", ".join(f"${p.name}" for p in PLACEHOLDERS)
        raise Refused(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}. "
            f"Use only {listed} (write $$ for a dollar sign)."
        )


def _filled(text: str, facts: LetterFacts) -> str:
    return string.Template(text).safe_substitute({p.name: p.value(facts) for p in PLACEHOLDERS})


#: Placeholders whose value is known only when the letter is written: :func:`letter_fill` leaves them as typed.
FILLED_ON_WRITING = frozenset({"our_reference", "today"})


def _prefilled(text: str, facts: LetterFacts) -> str:
    """``text`` with the placeholders not in :data:`FILLED_ON_WRITING` filled, escaped to be filled again."""
    values = {p.name: p.value(facts).replace("$", "$$") for p in PLACEHOLDERS if p.name not in FILLED_ON_WRITING}

    def one(match: re.Match[str]) -> str:
        name = match.group("named") or match.group("braced")
        return values[name] if name in values else match.group(0)

    return string.Template.pattern.sub(one, text)


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
) -> tuple[str, str]:
    """``(subject, body)`` of ``template`` as the letter form shows them, for :func:`letter_create` to fill.

    The placeholders known now are filled, each value's ``$`` written ``$$``
    (a project called ``Ca$h`` is no placeholder); ``$$`` stays ``$$``; those
    known only when the letter is written (:data:`FILLED_ON_WRITING`: its
    reference and date) stay placeholders, and so does a ``$name`` not in
    :data:`PLACEHOLDERS` (:func:`letter_create` refuses it). So the text is
    filled once, by :func:`letter_create`, whatever the user adds to it.
    """
    facts = LetterFacts(
        project=project,
        user=user,
        recipient_organisation=recipient_organisation,
        recipient_person=recipient_person,
        their_reference=their_reference,
        our_reference="",
        date=timezone.localdate(),
    )
    return _prefilled(template.subject, facts), _prefilled(template.body, facts)


def letter_template_save(
    *, user: User, name: str, subject: str, body: str, is_active: bool = True, template: LetterTemplate | None = None
) -> LetterTemplate:
    """Create a letter template, or change ``template``; returns it.

    Raises ``Refused`` unless ``user`` administers APM, for an empty name,
    subject or body, a placeholder not in :data:`PLACEHOLDERS` or a value the
    model refuses (a name another template has); nothing is saved then.
    """
    access.administer.require(user, "Only an administrator writes letter templates.")
    if not name.strip() or not subject.strip() or not body.strip():
        raise Refused("A letter template needs a name, a subject and a body.")
    letter_text_check(subject=subject, body=body)
    template = template or LetterTemplate()
    template.name, template.subject, template.body, template.is_active = name.strip(), subject.strip(), body, is_active
    validation.clean(template)
    template.save()
    return template


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

    Placeholders in ``subject`` and ``body`` are filled first (the letter's
    own reference and date). Returns the new ``Correspondence`` (its
    attachment ``is_letter``). Raises ``Refused`` for someone who may not
    edit the project, an empty recipient, subject or body, a placeholder not
    in :data:`PLACEHOLDERS`, a reply due before the date, permits or
    obligations of another project, or a value the model refuses (an unknown
    counterpart kind); nothing is stored then.
    """
    access.edit_project.require(user, project, NOT_A_MANAGER)
    if not subject.strip() or not body.strip() or not recipient_organisation.strip():
        raise Refused("A letter needs a recipient organisation, a subject and a body.")
    letter_text_check(subject=subject, body=body)
    date = date or timezone.localdate()
    if reply_due_on is not None and reply_due_on < date:
        raise Refused("The reply cannot be due before the letter is dated.")
    if any(d.project_id != project.pk for d in documents) or any(c.project_id != project.pk for c in clauses):
        raise Refused("The permits, filings and obligations must be this project's.")
    with transaction.atomic():
        # One letter at a time per project, so two PMs never get the same reference.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        reference = next_reference(project)
        facts = LetterFacts(
            project=project,
            user=user,
            recipient_organisation=recipient_organisation.strip(),
            recipient_person=recipient_person.strip(),
            their_reference=their_reference.strip(),
            our_reference=reference,
            date=date,
        )
        subject, body = _filled(subject, facts), _filled(body, facts)
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
