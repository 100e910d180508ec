"""The document register, the contract's clauses and their change proposals, correspondence, letters, reminders.

Files (document versions, correspondence attachments, generated letters)
live in private storage (``settings.PRIVATE_MEDIA_ROOT``, no URL) and are
served only by views that check ``apm.access``. A document is ``internal``
or shared with the client (``visibility``); a client contact never sees an
internal one. Every state change goes through ``projects.documents.services``
(transition tables in ``projects.common.workflow``); clauses, proposals,
documents and correspondence keep their history (django-simple-history).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from projects.models.budget import private_storage
from projects.models.delivery import Deliverable
from projects.models.portfolio import Project


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", "Contract"
    SOW = "sow", "Statement of work"
    AMENDMENT = "amendment", "Amendment"
    NDA = "nda", "NDA"
    PERMIT = "permit", "Permit"
    LICENCE = "licence", "Licence"
    LEGAL_FILING = "legal_filing", "Legal filing"
    MINUTES = "minutes", "Minutes"
    OTHER = "other", "Other"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    UNDER_REVIEW = "under_review", "Under review"
    APPROVED = "approved", "Approved"
    SIGNED = "signed", "Signed"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Superseded"


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal only"
    CLIENT = "client", "Shared with the client"


class Document(models.Model):
    """A document of a project's register: kind, title, status, owner, dates and who may see it.

    The file is in :class:`DocumentVersion` rows (each upload a new version,
    exactly one current). ``signed_on``, ``effective_on`` and ``expires_on``
    are plain dates; a document expiring within 30 days is reminded to the
    PM once (:class:`ReminderSent`).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_documents"
    )
    signed_on = models.DateField(null=True, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["project", "kind", "title", "pk"]
        indexes = [
            models.Index(fields=["project", "kind", "status"]),
            models.Index(fields=["expires_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(effective_on__isnull=True)
                | models.Q(expires_on__gte=models.F("effective_on")),
                name="document_expires_after_effective",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.visibility == Visibility.CLIENT


class DocumentVersion(models.Model):
    """One uploaded file of a document: ``number`` counts from 1; exactly one version is current.

    ``content_type`` is what the content was checked to be (not what the
    browser said); ``size`` is in bytes; ``sha256`` the hex digest.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    file = models.FileField(storage=private_storage, upload_to="documents/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.UniqueConstraint(
                fields=["document"], condition=models.Q(is_current=True), name="one_current_version_per_document"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class ClauseKind(models.TextChoices):
    OBLIGATION = "obligation", "Obligation"
    DELIVERABLE = "deliverable", "Deliverable"
    PAYMENT = "payment", "Payment"
    REPORTING = "reporting", "Reporting"
    CONFIDENTIALITY = "confidentiality", "Confidentiality"
    OTHER = "other", "Other"


class EvidenceKind(models.TextChoices):
    NONE = "", "Not named yet"
    DOCUMENT = "document", "A document of a kind (approved or signed)"
    DELIVERABLE = "deliverable", "A deliverable accepted by the client"
    REPORT = "report", "A report sent"


class Clause(models.Model):
    """A clause of a project's contract: number (``"4.2"``), title, wording, kind and current ``version``.

    The wording changes only through an approved :class:`ClauseChangeProposal`,
    which raises ``version`` by one; every earlier wording stays in
    ``history`` (and in the proposal's ``old_text``). An obligation may name
    what shows it is met (``evidence``: a document kind, a deliverable, or a
    report kind sent) and a ``deadline``.

    An obligation may repeat (``recurrence``, an RFC 5545 RRULE of the subset
    ``projects.planning.recurrence`` reads: a monthly report, an annual permit
    renewal). Its ``deadline`` is then always the current period's: when the
    period is marked met, or its deadline passes, the deadline rolls forward to
    the rule's next date and the period that ended is kept as an
    :class:`ObligationOccurrence`. Compliance (met, due, overdue) is read, as
    for any obligation, against the current deadline.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="clauses")
    contract = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clauses",
        help_text="The contract (or statement of work) the clause is part of.",
    )
    number = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    text = models.TextField()
    kind = models.CharField(max_length=20, choices=ClauseKind.choices, default=ClauseKind.OBLIGATION)
    version = models.PositiveIntegerField(default=1)
    evidence = models.CharField(max_length=20, choices=EvidenceKind.choices, blank=True, default=EvidenceKind.NONE)
    evidence_document_kind = models.CharField(max_length=20, choices=DocumentKind.choices, blank=True)
    evidence_deliverable = models.ForeignKey(
        Deliverable, null=True, blank=True, on_delete=models.SET_NULL, related_name="clauses"
    )
    evidence_report_kind = models.CharField(
        max_length=20, blank=True, help_text="A report kind, e.g. highlight or quality."
    )
    deadline = models.DateField(null=True, blank=True)
    recurrence = models.CharField(
        max_length=200, blank=True, help_text="A repeat rule (RFC 5545 RRULE), blank when it does not repeat."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["project", "number", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="clause_number_per_project")]
        indexes = [models.Index(fields=["project", "kind"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class OccurrenceOutcome(models.TextChoices):
    MET = "met", "Met"
    MISSED = "missed", "Missed"


class ObligationOccurrence(models.Model):
    """One ended period of a repeating obligation: the deadline it had (``due_date``) and how it ended.

    Written when the clause's deadline rolls forward (``projects.documents.recurring``):
    ``met`` when somebody marked it met (``recorded_by``) or its evidence was
    on file when the deadline passed, else ``missed``. Unique on (clause,
    due date): a period ends once, however many runs or clicks see it end,
    and the deadline rolls only with the row written.
    """

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="occurrences")
    due_date = models.DateField()
    outcome = models.CharField(max_length=10, choices=OccurrenceOutcome.choices)
    next_due_date = models.DateField(help_text="The deadline of the period that followed.")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who marked it met; empty when its deadline passed.",
    )

    class Meta:
        ordering = ["clause", "-due_date"]
        constraints = [
            models.UniqueConstraint(fields=["clause", "due_date"], name="one_occurrence_per_clause_and_due_date")
        ]

    def __str__(self) -> str:
        return f"{self.clause.number} due {self.due_date} ({self.outcome})"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ClauseChangeProposal(models.Model):
    """A proposed new wording for a clause, with the reason, and management's decision.

    ``base_version`` is the clause version the wording was proposed against;
    ``old_text`` the wording it replaces (kept on approval); ``new_version``
    the clause version an approval created.
    """

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="proposals")
    proposed_text = models.TextField()
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    base_version = models.PositiveIntegerField()
    old_text = models.TextField()
    new_version = models.PositiveIntegerField(null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["clause", "-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clause"], condition=models.Q(status="pending"), name="one_pending_proposal_per_clause"
            )
        ]

    def __str__(self) -> str:
        return f"Proposal for clause {self.clause.number} ({self.status})"


class Direction(models.TextChoices):
    IN = "in", "Incoming"
    OUT = "out", "Outgoing"


class Channel(models.TextChoices):
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"


class Counterpart(models.TextChoices):
    CLIENT = "client", "Client"
    AUTHORITY = "authority", "Public authority (local government, regulator)"
    OTHER = "other", "Other"


class CorrespondenceStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING_REPLY = "awaiting_reply", "Awaiting reply"
    REPLIED = "replied", "Replied"
    CLOSED = "closed", "Closed"


class Correspondence(models.Model):
    """A letter, email or call with a client or a public authority, logged against a project.

    ``their_reference`` is the counterpart's (an authority's) reference
    number; ``our_reference`` ours (``<CODE>/L<n>`` for letters written in
    APM). ``reply_due_on`` set means a reply is due by then (from us for
    incoming, from them for outgoing); an overdue one is reminded to the PM
    once. ``documents`` and ``clauses`` are the permits, filings and
    obligations it concerns.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="correspondence")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.LETTER)
    date = models.DateField()
    counterpart_kind = models.CharField(max_length=10, choices=Counterpart.choices, default=Counterpart.AUTHORITY)
    counterpart_organisation = models.CharField(max_length=300)
    counterpart_person = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    their_reference = models.CharField(max_length=100, blank=True)
    our_reference = models.CharField(max_length=100, blank=True)
    reply_due_on = models.DateField(null=True, blank=True)
    replied_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=CorrespondenceStatus.choices, default=CorrespondenceStatus.OPEN)
    documents = models.ManyToManyField(Document, blank=True, related_name="correspondence")
    clauses = models.ManyToManyField(Clause, blank=True, related_name="correspondence")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["project", "-date", "-pk"]
        verbose_name_plural = "correspondence"
        indexes = [models.Index(fields=["project", "date"]), models.Index(fields=["status", "reply_due_on"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.date}: {self.subject}"

    @property
    def reply_pending(self) -> bool:
        return self.reply_due_on is not None and self.status in (
            CorrespondenceStatus.OPEN,
            CorrespondenceStatus.AWAITING_REPLY,
        )


class CorrespondenceAttachment(models.Model):
    """A file attached to a correspondence entry (checked by content; a generated letter is one)."""

    correspondence = models.ForeignKey(Correspondence, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="correspondence/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    is_letter = models.BooleanField(default=False, help_text="The PDF APM generated on the letterhead.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["correspondence", "pk"]

    def __str__(self) -> str:
        return self.original_name


class LetterTemplate(models.Model):
    """A letter to start from: subject and body with ``$placeholders`` (``string.Template``, no code).

    The placeholders it may use are ``projects.correspondence.letters.PLACEHOLDERS``;
    ``letter_template_save`` refuses any other.
    """

    name = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReminderKind(models.TextChoices):
    REPLY_OVERDUE = "reply_overdue", "Reply overdue"
    DOCUMENT_EXPIRING = "document_expiring", "Document expiring"


class ReminderSent(models.Model):
    """One reminder sent: (kind, object, date) is unique, so a second run sends nothing.

    ``due_on`` is the date reminded (the reply's due date or the document's
    expiry): moving that date makes a new item that is reminded again.
    """

    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    object_id = models.PositiveBigIntegerField()
    due_on = models.DateField()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    sent_to = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "due_on"], name="one_reminder_per_item_and_date")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id} ({self.due_on})"
