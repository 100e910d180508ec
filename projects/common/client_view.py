"""The client view: the one declaration of what a client contact may see, and the builders of its values.

Everything a client reads of a project (the portal's status pages, share
links, client-audience report snapshots, invoices, the comments visible to
the client (:class:`ClientComment`); later the API, which extends these
declarations) is built here, from model
instances, into plain values with exactly the declared keys and types.
Client-facing code hands templates these values, never model instances, so
a template cannot reach a field that is not declared (``project.bac`` on a
``Project`` would render; on a :class:`ClientProject` it is not there).

Of money, only what the client is billed is declared: the bill rates and
amounts of their issued invoices and credit notes (:class:`ClientInvoice`:
each line's quantity, unit price, net and tax, a converted line's price,
currency and rate, the totals) and their retainers' monthly fee and hours
(:class:`ClientRetainer`). Nothing else of money is declared, so never shown
to a client: BAC, budgets, forecasts, variance, whole-life cost, costs, cost
rates, bill rates and amounts not on an issued invoice, revenue, margins, a
change request's cost impact, budget commentary, withheld-figure notes, a
draft invoice, what a draft left out and who issued an invoice. Never
declared either: the cost rating, the RAID log, lessons learned, tolerances
and burn-up, and the internal text of deliverables and change requests
(descriptions, reasons; the client reads ``client_summary``, the PM's words
for them). The internal
audience of a report *adds* its keys to a client row; nothing is ever
removed from a value after it is built.

Builders return Python values (``datetime.date``, ``Decimal``);
:func:`serialise` turns any of them into the JSON form stored in report
snapshots (dates ISO ``YYYY-MM-DD``, decimals as strings). :func:`problems`
checks a value, in either form, against its declaration (the tests use it
on every client-facing page and snapshot).
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Protocol,
    TypedDict,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from django.utils import formats, timezone

from apm import access
from projects.models import DeliverableStatus, InvoiceKind, InvoiceState

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

    from projects.billing.revenue import RetainerMonth
    from projects.documents.selectors import DocumentWithVersion
    from projects.models import (
        ChangeRequest,
        ClientContact,
        Comment,
        Deliverable,
        Invoice,
        InvoiceLine,
        Milestone,
        Project,
        StatusUpdate,
    )

Rag = Literal["red", "amber", "green", ""]
MilestoneState = Literal["done", "overdue", "upcoming"]
Direction = Literal["improving", "worsening", "steady", ""]
#: The ratings of a weekly update a client sees: all but cost.
RatingKey = Literal["overall", "time", "scope", "quality", "risk"]


# --- The declaration ----------------------------------------------------------------------------


class ClientMilestone(TypedDict):
    """A milestone of the project plan."""

    #: The milestone's name.
    name: str
    #: When it is planned.
    due_date: dt.date
    #: When it was reached; None while open.
    completed_on: dt.date | None
    #: "done"; "overdue" when open and due before the reference day (today, or a report's period end); else
    #: "upcoming".
    state: MilestoneState


class ClientProjectCard(TypedDict):
    """A project in the client's list of projects (the portal's home page)."""

    #: The project's code (its address in the portal).
    code: str
    #: The project's name.
    name: str
    #: The client's (account's) name; "" without one.
    client: str
    #: The project's status label ("Active", "On hold", ...).
    status: str
    #: The project's RAG.
    rag: Rag
    #: Planned start; None when not set.
    start_date: dt.date | None
    #: Planned finish; None when not set.
    end_date: dt.date | None


class ClientProject(ClientProjectCard):
    """Where one project stands for the client: its card, the latest status update's client fields, milestones.

    ``rag`` here is the latest update's (with no update, the project's own).
    """

    #: The rating as published ("Amber/Green"); "" without an update.
    rating_published: str
    #: Text published instead of a rating (an exemption); "" when none.
    rating_note: str
    #: Percent complete, 0-100; None when not reported.
    percent_complete: Decimal | None
    #: The date of the latest status update; None without one.
    as_of: dt.date | None
    #: The latest update's period ("Q4 2024/25"); "" when not given.
    period_label: str
    #: Overall commentary of the latest update.
    commentary_overall: str
    #: Schedule commentary of the latest update.
    commentary_schedule: str
    #: Work done this period.
    work_done: str
    #: Work planned next period.
    work_planned: str
    #: Decisions the client is asked for, one line each.
    decisions: list[str]
    #: Key risks and issues as the PM words them for the weekly update, one line each (not the RAID log).
    risks_issues: list[str]
    #: The name of whoever wrote the latest update (usually the PM); "" when unknown.
    author: str
    #: The plan's milestones, by due date.
    milestones: list[ClientMilestone]


class ClientTrendPoint(TypedDict):
    """One rated (or unrated) status update in the RAG trend."""

    #: The update's date.
    as_of: dt.date
    #: Its RAG.
    rag: Rag


class ClientHighlight(TypedDict):
    """A past status update as the client reads it ("recent highlights")."""

    #: The update's date.
    as_of: dt.date
    #: Its period label; "" when not given.
    period_label: str
    #: Its RAG.
    rag: Rag
    #: Overall commentary.
    commentary_overall: str
    #: Work done that period.
    work_done: str
    #: Work planned for the next.
    work_planned: str
    #: Decisions asked of the client, one line each.
    decisions: list[str]


class ClientRating(TypedDict):
    """One of the ratings of the latest update against the update before it."""

    #: Which rating.
    key: RatingKey
    #: Its label ("Time").
    label: str
    #: This update's RAG.
    rag: Rag
    #: The previous update's RAG; "" without one.
    previous: Rag


class ClientDeliverableDone(TypedDict):
    """A milestone reached, or a deliverable accepted, in a report's period."""

    #: Its name.
    name: str
    #: When it was completed or signed off.
    date: dt.date


class ClientDeliverableDue(TypedDict):
    """An open milestone or deliverable overdue or due soon after a report's period."""

    #: Its name (a deliverable's with its status in brackets: "Designs (in progress)").
    name: str
    #: When it is due.
    date: dt.date
    #: Due before the period end and still open.
    overdue: bool


class ClientHighlightDetails(TypedDict):
    """The client part of a highlight report's extra fields of one project."""

    #: Names of the client's contacts who receive reports.
    client_contacts: list[str]
    #: The ratings (no cost rating), in a fixed order.
    ratings: list[ClientRating]
    #: The date of the update before the latest; None without one.
    previous_as_of: dt.date | None
    #: Milestones reached and deliverables accepted in the period.
    deliverables_completed: list[ClientDeliverableDone]
    #: Open milestones and deliverables overdue or due within the horizon, by date.
    deliverables_due: list[ClientDeliverableDue]


class ClientDeliverable(TypedDict):
    """A deliverable awaiting the client's sign-off."""

    #: Its id (the sign-off form posts to it).
    id: int
    #: Its name.
    name: str
    #: When it is due.
    due_date: dt.date
    #: What it must meet to be accepted, one criterion each.
    acceptance_criteria: list[str]
    #: The document to review before signing off, when it is shared with the client (its id, for the download
    #: link); None otherwise (an internal document is never named).
    document_id: int | None
    #: That document's title; "" when none.
    document_title: str
    #: Where the client sees the deliverable (an http(s) address); "" when none.
    link: str


class ClientChangeRequest(TypedDict):
    """A change request awaiting the client's decision. Never its cost impact, description or reason."""

    #: Its id (the decision form posts to it).
    id: int
    #: "CR-7".
    reference: str
    #: Its title.
    title: str
    #: What the change means for the client, in the PM's words for them (``client_summary``); "" when none.
    summary: str
    #: Days the finish moves if approved (negative: earlier).
    schedule_impact_days: int


class ClientReport(TypedDict):
    """A client-audience report in the archive (its PDF is downloaded by id)."""

    #: Its id.
    id: int
    #: Its title.
    title: str
    #: The report kind's label ("Highlight report").
    kind: str
    #: First day of the period; None for a report "as at" a day.
    period_start: dt.date | None
    #: Last day of the period.
    period_end: dt.date
    #: Pages of the PDF; None when not counted.
    page_count: int | None


class ClientDocument(TypedDict):
    """A document of the project shared with the client."""

    #: Its id (the download goes through the access-checked view).
    id: int
    #: Its title.
    title: str
    #: The document kind's label ("Statement of work").
    kind: str
    #: Its status label ("Approved").
    status: str
    #: The number of its current version; None when no file is on record.
    version: int | None
    #: When it expires; None when it does not.
    expires_on: dt.date | None


class ClientCommentFile(TypedDict):
    """A file attached to a client-visible comment (downloaded through the access-checked view, by id)."""

    #: Its id.
    id: int
    #: Its name as uploaded.
    name: str


class ClientComment(TypedDict):
    """A comment visible to the client on a deliverable or change request they see. Never an internal comment,
    never who was mentioned or the earlier texts of an edited one."""

    #: Its id (its place on the page: ``#comment-<id>``).
    id: int
    #: Who wrote it (their name).
    author: str
    #: What it says (plain text; "" once deleted).
    body: str
    #: When it was written, in the reader's time zone ("8 Dec 2026 14:05").
    written_at: str
    #: Whether it was edited after it was written.
    edited: bool
    #: Whether it was deleted (a tombstone: no body, no files).
    deleted: bool
    #: Who deleted it; "" when not deleted.
    deleted_by: str
    #: When it was deleted ("8 Dec 2026 14:05"); "" when not deleted.
    deleted_at: str
    #: Its attached files; none once deleted.
    files: list[ClientCommentFile]


class ClientStatus(TypedDict):
    """Everything a client's status page shows of one project (portal page and share link alike)."""

    #: Where the project stands.
    project: ClientProject
    #: The RAG of the last updates, oldest first.
    trend: list[ClientTrendPoint]
    #: How the last two rated updates compare; "" with fewer than two.
    direction: Direction
    #: The latest updates that say something, newest first.
    highlights: list[ClientHighlight]
    #: Deliverables awaiting the client's sign-off, earliest due first.
    deliverables: list[ClientDeliverable]
    #: Change requests awaiting the client's decision.
    change_requests: list[ClientChangeRequest]
    #: Rendered client-audience reports, newest first.
    reports: list[ClientReport]
    #: Documents shared with the client.
    documents: list[ClientDocument]


class ClientInvoiceLine(TypedDict):
    """A line of an issued invoice or credit note: what the client is billed for, at the bill rate they are billed."""

    #: What the line bills ("ALPHA-1 Alpha Project: Developer, 2 Mar 2026 to 3 Mar 2026").
    description: str
    #: The code of the project it bills; "" when none.
    project_code: str
    #: Hours, items or months (negative on a credit note).
    quantity: Decimal
    #: What the quantity counts ("hours"); "" when not said.
    unit: str
    #: The price of one unit in the invoice's currency (a bill rate for time).
    unit_price: Decimal
    #: Quantity x unit price.
    net: Decimal
    #: Percent.
    tax_rate: Decimal
    #: Net x tax rate / 100.
    tax: Decimal
    #: A line converted from a project billing in another currency: that currency; "" when not converted.
    source_currency: str
    #: The unit price there; None when not converted.
    source_unit_price: Decimal | None
    #: Units of the invoice's currency per unit of the source's; None when not converted.
    exchange_rate: Decimal | None
    #: The day of that rate; None when not converted.
    rate_date: dt.date | None


class ClientInvoiceCard(TypedDict):
    """An issued invoice or credit note in the client's list of invoices."""

    #: Its id (its page and PDF are addressed by it).
    id: int
    #: "INV-2026-0001", "CN-2026-0001".
    number: str
    #: The kind's label ("Invoice", "Credit note").
    kind: str
    #: A credit note (it has no due date and is never paid).
    credit_note: bool
    #: The state's label ("Issued", "Paid", "Void (credited)").
    state: str
    #: An invoice issued, unpaid and due before today.
    overdue: bool
    #: When it was issued.
    issue_date: dt.date
    #: When it is due; None for a credit note.
    due_date: dt.date | None
    #: When it was paid; None while unpaid.
    paid_on: dt.date | None
    #: Its currency (ISO code).
    currency: str
    #: The sum of its lines' nets.
    net_total: Decimal
    #: The sum of its lines' taxes.
    tax_total: Decimal
    #: Net plus tax: what is to be paid (negative on a credit note).
    gross_total: Decimal
    #: The number of the invoice a credit note reverses; "" for an invoice.
    credited_invoice: str


class ClientInvoice(ClientInvoiceCard):
    """An issued invoice or credit note with its lines (its page in the portal)."""

    #: Why a credit note reverses the invoice, as it states; "" for an invoice.
    reason: str
    #: The id of the invoice a credit note reverses (its page); None for an invoice.
    credited_invoice_id: int | None
    #: Its lines, in their order.
    lines: list[ClientInvoiceLine]


class ClientRetainer(TypedDict):
    """A retainer project's month as the client is billed for it: the fee, the hours it includes and those used."""

    #: The project's code.
    project_code: str
    #: The project's name.
    project_name: str
    #: The month (its first day).
    month: dt.date
    #: The hours the month's fee includes.
    hours_included: Decimal
    #: Unused hours rolled over from earlier months, available this month.
    hours_rolled_in: Decimal
    #: Approved billable hours of the month.
    hours_used: Decimal
    #: Included and rolled-over hours not used yet (0 once exceeded).
    hours_left: Decimal
    #: Hours beyond everything available: billed as overage (0 when none).
    hours_over: Decimal
    #: The monthly fee.
    fee: Decimal
    #: The fee's currency (ISO code).
    currency: str


# --- Builders -----------------------------------------------------------------------------------

RAG_RANK = {"red": 0, "amber": 1, "green": 2}
#: The ratings of a weekly update a client sees: (key, StatusUpdate field, label), in the report's order.
CLIENT_RATINGS: tuple[tuple[str, str, str], ...] = (
    ("overall", "rag", "Overall"),
    ("time", "rag_time", "Time"),
    ("scope", "rag_scope", "Scope"),
    ("quality", "rag_quality", "Quality"),
    ("risk", "rag_risk", "Risk"),
)


def _lines(text: str | None) -> list[str]:
    """Non-empty stripped lines of ``text`` (a bullet "- ", "* " or "• " at the start is dropped)."""
    found = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line[:2] in ("- ", "* ", "• "):
            line = line[2:].strip()
        if line:
            found.append(line)
    return found


def _person(user: Any) -> str:
    """A user's full name, else their username; "" for None."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _rag(value: str | None) -> Rag:
    # TextChoices members become plain strings: a value is data, never a model's enum.
    return cast(Rag, str(value or ""))


def client_milestone(milestone: Milestone, *, today: dt.date) -> ClientMilestone:
    """A milestone, its state judged on ``today`` (a report passes its period end)."""
    state: MilestoneState
    if milestone.completed_on is not None:
        state = "done"
    elif milestone.due_date < today:
        state = "overdue"
    else:
        state = "upcoming"
    return {
        "name": milestone.name,
        "due_date": milestone.due_date,
        "completed_on": milestone.completed_on,
        "state": state,
    }


def client_project_card(project: Project) -> ClientProjectCard:
    """A project in the client's list (reads ``project.client``: join it)."""
    return {
        "code": project.code,
        "name": project.name,
        "client": project.client.name if project.client is not None else "",
        "status": project.get_status_display(),
        "rag": _rag(project.rag),
        "start_date": project.start_date,
        "end_date": project.end_date,
    }


def client_project(
    project: Project, *, latest: StatusUpdate | None, milestones: Iterable[Milestone], today: dt.date
) -> ClientProject:
    """Where ``project`` stands as of its ``latest`` status update (None: none yet), with ``milestones`` by due date.

    The RAG is the latest update's (an update that withheld its rating has
    none); the project's own only when there is no update. Reads
    ``latest.author`` (join it).
    """
    card = client_project_card(project)
    return {
        **card,
        "rag": _rag(latest.rag) if latest is not None else card["rag"],
        "rating_published": latest.rating_published if latest else "",
        "rating_note": latest.rating_note if latest else "",
        "percent_complete": latest.percent_complete if latest else None,
        "as_of": latest.as_of if latest else None,
        "period_label": latest.period_label if latest else "",
        "commentary_overall": latest.commentary_overall if latest else "",
        "commentary_schedule": latest.commentary_schedule if latest else "",
        "work_done": latest.work_done if latest else "",
        "work_planned": latest.work_planned if latest else "",
        "decisions": _lines(latest.decisions_needed) if latest else [],
        "risks_issues": _lines(latest.risks_issues) if latest else [],
        "author": _person(latest.author) if latest and latest.author_id else "",
        "milestones": [client_milestone(milestone, today=today) for milestone in milestones],
    }


def client_trend(updates: Iterable[StatusUpdate]) -> list[ClientTrendPoint]:
    """The RAG of ``updates``, in the order given."""
    return [{"as_of": update.as_of, "rag": _rag(update.rag)} for update in updates]


def trend_direction(trend: list[ClientTrendPoint]) -> Direction:
    """How the last two rated points compare: "improving", "worsening" or "steady"; "" with fewer than two."""
    rated = [point["rag"] for point in trend if point["rag"] in RAG_RANK]
    if len(rated) < 2:
        return ""
    delta = RAG_RANK[rated[-1]] - RAG_RANK[rated[-2]]
    return "improving" if delta > 0 else "worsening" if delta < 0 else "steady"


def client_highlight(update: StatusUpdate) -> ClientHighlight:
    """A past status update's client fields."""
    return {
        "as_of": update.as_of,
        "period_label": update.period_label,
        "rag": _rag(update.rag),
        "commentary_overall": update.commentary_overall,
        "work_done": update.work_done,
        "work_planned": update.work_planned,
        "decisions": _lines(update.decisions_needed),
    }


def client_ratings(latest: StatusUpdate | None, previous: StatusUpdate | None) -> list[ClientRating]:
    """The client's ratings of ``latest`` against ``previous`` (either may be None), in ``CLIENT_RATINGS`` order."""
    return [
        {
            "key": cast(RatingKey, key),
            "label": label,
            "rag": _rag(getattr(latest, field) if latest else ""),
            "previous": _rag(getattr(previous, field) if previous else ""),
        }
        for key, field, label in CLIENT_RATINGS
    ]


def client_highlight_details(
    *,
    latest: StatusUpdate | None,
    previous: StatusUpdate | None,
    milestones: Iterable[Milestone],
    deliverables: Iterable[Deliverable],
    contacts: Iterable[ClientContact],
    period_start: dt.date | None,
    period_end: dt.date,
    horizon_days: int,
) -> ClientHighlightDetails:
    """A highlight report's client fields of one project for ``period_start`` (None: open) to ``period_end``.

    Completed: milestones reached and deliverables accepted (by sign-off
    date) in the period. Due: open milestones and deliverables not accepted,
    due on or before ``period_end + horizon_days``, ``overdue`` when due
    before ``period_end``; sorted by date, then name. ``contacts`` are the
    client's contacts who receive reports.
    """

    def in_period(day: dt.date) -> bool:
        return (period_start is None or day >= period_start) and day <= period_end

    horizon = period_end + dt.timedelta(days=horizon_days)
    completed: list[ClientDeliverableDone] = []
    due: list[ClientDeliverableDue] = []
    for milestone in milestones:
        if milestone.completed_on is not None:
            if in_period(milestone.completed_on):
                completed.append({"name": milestone.name, "date": milestone.completed_on})
        elif milestone.due_date <= horizon:
            due.append({"name": milestone.name, "date": milestone.due_date, "overdue": milestone.due_date < period_end})
    for deliverable in deliverables:
        if deliverable.status == DeliverableStatus.ACCEPTED:
            signed = deliverable.signed_off_at.date() if deliverable.signed_off_at else None
            if signed is not None and in_period(signed):
                completed.append({"name": deliverable.name, "date": signed})
        elif deliverable.due_date <= horizon:
            due.append(
                {
                    "name": f"{deliverable.name} ({deliverable.get_status_display().lower()})",
                    "date": deliverable.due_date,
                    "overdue": deliverable.due_date < period_end,
                }
            )
    due.sort(key=lambda item: (item["date"], item["name"]))
    return {
        "client_contacts": [contact.name for contact in contacts],
        "ratings": client_ratings(latest, previous),
        "previous_as_of": previous.as_of if previous else None,
        "deliverables_completed": completed,
        "deliverables_due": due,
    }


def client_deliverable(deliverable: Deliverable) -> ClientDeliverable:
    """A deliverable awaiting sign-off, with its acceptance criteria and what to review (reads
    ``review_document``: select it with the deliverable). The document only when the client side may see it
    (``access.shared_with_client``)."""
    document = deliverable.review_document if deliverable.review_document_id else None
    shown = access.shared_with_client(document)
    return {
        "id": deliverable.pk,
        "name": deliverable.name,
        "due_date": deliverable.due_date,
        "acceptance_criteria": [str(item) for item in deliverable.acceptance_criteria or []],
        "document_id": document.pk if shown and document is not None else None,
        "document_title": document.title if shown and document is not None else "",
        "link": deliverable.review_link,
    }


def client_change_request(change: ChangeRequest) -> ClientChangeRequest:
    """A change request awaiting the client's decision: what it does for them and how it moves the finish."""
    return {
        "id": change.pk,
        "reference": change.reference,
        "title": change.title,
        "summary": change.client_summary,
        "schedule_impact_days": change.schedule_impact_days,
    }


def _moment(value: dt.datetime) -> str:
    """A moment as the reader reads it: their time zone, to the minute ("8 Dec 2026 14:05")."""
    return formats.date_format(timezone.localtime(value), "j M Y H:i")


def client_comment(comment: Comment) -> ClientComment:
    """A client-visible comment (reads ``author``, ``deleted_by`` and ``attachments``: select and prefetch them).
    Raises ``ValueError`` for an internal comment: a client never sees one."""
    if comment.visibility != access.CLIENT:
        raise ValueError("An internal comment is never shown to the client.")
    deleted = comment.deleted_at is not None
    return {
        "id": comment.pk,
        "author": str(comment.author) if comment.author is not None else "Someone",
        "body": "" if deleted else comment.body,
        "written_at": _moment(comment.created_at),
        "edited": comment.edited_at is not None,
        "deleted": deleted,
        "deleted_by": str(comment.deleted_by) if deleted and comment.deleted_by is not None else "",
        "deleted_at": _moment(comment.deleted_at) if comment.deleted_at is not None else "",
        "files": [] if deleted else [{"id": file.pk, "name": file.original_name} for file in comment.attachments.all()],
    }


class ArchivedReport(Protocol):
    """What the portal reads of a ``reports.Report`` (``projects`` does not import ``reports``: duck-typed)."""

    @property
    def pk(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def period_start(self) -> dt.date | None: ...
    @property
    def period_end(self) -> dt.date: ...
    @property
    def page_count(self) -> int | None: ...
    @property
    def pdf(self) -> FieldFile: ...
    def get_kind_display(self) -> str: ...


def client_report(report: ArchivedReport) -> ClientReport:
    """A client-audience ``reports.Report`` of the archive."""
    return {
        "id": report.pk,
        "title": report.title,
        "kind": report.get_kind_display(),
        "period_start": report.period_start,
        "period_end": report.period_end,
        "page_count": report.page_count,
    }


def client_document(document: DocumentWithVersion) -> ClientDocument:
    """A shared document; reads ``document.current_versions`` ([version] or [], prefetched)."""
    current = document.current_versions[0] if document.current_versions else None
    return {
        "id": document.pk,
        "title": document.title,
        "kind": document.get_kind_display(),
        "status": document.get_status_display(),
        "version": current.number if current is not None else None,
        "expires_on": document.expires_on,
    }


def client_invoice_line(line: InvoiceLine) -> ClientInvoiceLine:
    """A line of an issued invoice (reads ``line.project``: select it)."""
    converted = line.exchange_rate is not None
    return {
        "description": line.description,
        "project_code": line.project.code if line.project is not None else "",
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "net": line.net,
        "tax_rate": line.tax_rate,
        "tax": line.tax,
        "source_currency": line.source_currency if converted else "",
        "source_unit_price": line.source_unit_price if converted else None,
        "exchange_rate": line.exchange_rate if converted else None,
        "rate_date": line.rate_date if converted else None,
    }


def client_invoice_card(invoice: Invoice, *, today: dt.date) -> ClientInvoiceCard:
    """An issued invoice or credit note, ``overdue`` judged on ``today`` (reads ``invoice.credited_invoice``:
    select it). Raises ``ValueError`` for a draft: a client never sees one."""
    if invoice.is_draft or invoice.number is None or invoice.issue_date is None:
        raise ValueError("A draft is never shown to the client.")
    credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    due = invoice.due_date
    overdue = not credit_note and invoice.state == InvoiceState.ISSUED and due is not None and due < today
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "kind": invoice.get_kind_display(),
        "credit_note": credit_note,
        "state": invoice.get_state_display(),
        "overdue": overdue,
        "issue_date": invoice.issue_date,
        "due_date": None if credit_note else invoice.due_date,
        "paid_on": invoice.paid_on,
        "currency": invoice.currency,
        "net_total": invoice.net_total,
        "tax_total": invoice.tax_total,
        "gross_total": invoice.gross_total,
        "credited_invoice": (credited.number or "") if credited is not None else "",
    }


def client_invoice(invoice: Invoice, *, lines: Iterable[InvoiceLine], today: dt.date) -> ClientInvoice:
    """An issued invoice or credit note with ``lines`` (its lines in order, each with its project selected)."""
    return {
        **client_invoice_card(invoice, today=today),
        "reason": invoice.reason if invoice.credited_invoice_id else "",
        "credited_invoice_id": invoice.credited_invoice_id,
        "lines": [client_invoice_line(line) for line in lines],
    }


def client_retainer(project: Project, *, month: RetainerMonth) -> ClientRetainer:
    """``month`` of ``project``'s retainer (``projects.billing.revenue.retainer_months``): its fee in the project's
    currency, and the hours included, rolled in, used, left and over."""
    available = month.allowance + month.rolled_in
    return {
        "project_code": project.code,
        "project_name": project.name,
        "month": month.month,
        "hours_included": month.allowance,
        "hours_rolled_in": month.rolled_in,
        "hours_used": month.used,
        "hours_left": max(available - month.used, Decimal("0")),
        "hours_over": month.overage_hours,
        "fee": month.fee,
        "currency": project.currency,
    }


# --- Serialising and checking -------------------------------------------------------------------


def serialise(value: Any) -> Any:
    """``value`` in JSON form: dates ISO ``YYYY-MM-DD``, decimals as strings, dicts and lists copied through."""
    if isinstance(value, dict):
        return {key: serialise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [serialise(item) for item in value]
    if isinstance(value, dt.datetime):
        raise TypeError("A client value holds dates, not datetimes.")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def problems(value: Any, declaration: Any, *, serialised: bool = False, path: str = "$") -> list[str]:
    """Where ``value`` differs from ``declaration`` (a TypedDict above, or a type inside one): [] when it conforms.

    Keys must be exactly the declared ones; types exact (a ``bool`` is not an
    ``int``, a ``datetime`` not a ``date``, a ``str`` subclass such as a
    model's choices enum not a ``str``). With ``serialised`` the value is in
    the JSON form of :func:`serialise`: a date is an ISO string, a decimal a
    string. Each problem reads ``"$.milestones[0].due_date: expected date, got str"``.
    """
    if is_typeddict(declaration):
        if not isinstance(value, dict):
            return [f"{path}: expected {declaration.__name__}, got {type(value).__name__}"]
        hints = get_type_hints(declaration)
        found = [f"{path}: missing key {key!r}" for key in hints if key not in value]
        found += [f"{path}: undeclared key {key!r}" for key in value if key not in hints]
        for key, hint in hints.items():
            if key in value:
                found += problems(value[key], hint, serialised=serialised, path=f"{path}.{key}")
        return found
    origin = get_origin(declaration)
    if origin is Literal:
        allowed = get_args(declaration)
        if type(value) is str and value in allowed:
            return []
        return [f"{path}: expected one of {allowed!r}, got {value!r}"]
    if origin in (Union, types.UnionType):
        arms = [problems(value, arm, serialised=serialised, path=path) for arm in get_args(declaration)]
        if any(not arm for arm in arms):
            return []
        return [f"{path}: {' / '.join(arm[0].split(': ', 1)[1] for arm in arms)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item,) = get_args(declaration)
        return [
            p
            for n, element in enumerate(value)
            for p in problems(element, item, serialised=serialised, path=f"{path}[{n}]")
        ]
    return _scalar_problem(value, declaration, serialised=serialised, path=path)


def _scalar_problem(value: Any, declaration: Any, *, serialised: bool, path: str) -> list[str]:
    got = type(value).__name__
    if serialised and declaration in (Decimal, dt.date):
        valid = _is_decimal if declaration is Decimal else _is_iso_date
        kind = "a decimal string" if declaration is Decimal else "an ISO date"
        return [] if type(value) is str and valid(value) else [f"{path}: expected {kind}, got {value!r}"]
    if declaration is type(None):
        return [] if value is None else [f"{path}: expected None, got {got}"]
    if declaration in (str, int, bool):
        return [] if type(value) is declaration else [f"{path}: expected {declaration.__name__}, got {got}"]
    if declaration is Decimal:
        return [] if type(value) is Decimal else [f"{path}: expected Decimal, got {got}"]
    if declaration is dt.date:
        return [] if type(value) is dt.date else [f"{path}: expected date, got {got}"]
    raise TypeError(f"{path}: the client view declares no type {declaration!r}.")


def _is_decimal(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _is_iso_date(text: str) -> bool:
    try:
        return dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False
