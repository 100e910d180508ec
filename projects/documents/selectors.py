"""Reads of the document register, clauses and compliance; fixed numbers of queries.

Who sees which document is ``apm.access.see_document``: internal users every
document of the projects they may see, a client contact only the documents
shared with the client of their own client's projects.

Compliance of an obligation (:func:`obligation_rows`), as of ``today``:

* ``met``: its evidence is on file: a current document of the named kind,
  approved or signed and not past its expiry; the named deliverable accepted;
  or a report of the named kind sent (an email of a delivery marked sent);
* ``missing``: it names no evidence, so nothing can show it met;
* ``overdue``: not met and its deadline has passed;
* ``due``: not met, deadline today or later (or none yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias, TypedDict

from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone

from apm import access
from apm.outbox.models import EmailStatus
from projects.models import (
    Clause,
    ClauseChangeProposal,
    ClauseKind,
    DeliverableStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    EvidenceKind,
    ObligationOccurrence,
    Project,
    ProposalStatus,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from apm.accounts.models import User

    class CurrentVersions(TypedDict):
        """What :func:`_current_version` adds to a document: ``[current version]``, or ``[]`` before the first."""

        current_versions: list[DocumentVersion]

    #: A document loaded with its current version (:func:`document_list`, :func:`shared_documents`).
    DocumentWithVersion: TypeAlias = WithAnnotations[Document, CurrentVersions]

MET, DUE, OVERDUE, MISSING = "met", "due", "overdue", "missing"
COMPLIANCE_LABELS = {MET: "Met", DUE: "Due", OVERDUE: "Overdue", MISSING: "Missing evidence"}
#: Days ahead a document's expiry is flagged (desk, reminders).
EXPIRY_NOTICE_DAYS = 30
LIVE_DOCUMENT = (DocumentStatus.APPROVED, DocumentStatus.SIGNED)


def _current_version() -> Prefetch[Literal["versions"], QuerySet[DocumentVersion], Literal["current_versions"]]:
    return Prefetch("versions", queryset=DocumentVersion.objects.filter(is_current=True), to_attr="current_versions")


def document_list(*, user: User, project: Project, kind: str = "", status: str = "") -> list[DocumentWithVersion]:
    """The register of ``project`` as ``user`` may see it, with ``current_versions`` ([v] or []); 2 queries."""
    documents = access.see_document.queryset(user).filter(project=project).select_related("owner")
    if kind:
        documents = documents.filter(kind=kind)
    if status:
        documents = documents.filter(status=status)
    return list(documents.prefetch_related(_current_version()).order_by("kind", "title", "pk"))


def shared_documents(*, project: Project) -> list[DocumentWithVersion]:
    """Documents of ``project`` shared with the client, not superseded, with their current version (2 queries)."""
    return list(
        Document.objects.filter(access.SHARED_WITH_CLIENT, project=project)
        .prefetch_related(_current_version())
        .order_by("kind", "title")
    )


# --- Compliance ---------------------------------------------------------------------------


@dataclass
class ObligationRow:
    """One obligation's compliance: ``state`` is met, due, overdue or missing; ``evidence`` says what shows it."""

    clause: Clause
    state: str
    evidence: str
    days_left: int | None

    @property
    def label(self) -> str:
        return COMPLIANCE_LABELS[self.state]

    @property
    def days_overdue(self) -> int:
        """Days past the deadline (0 when not past it or no deadline)."""
        return max(0, -self.days_left) if self.days_left is not None else 0


def _evidence_label(clause: Clause) -> str:
    if clause.evidence == EvidenceKind.DOCUMENT:
        return f"{DocumentKind(clause.evidence_document_kind).label} approved or signed"
    if clause.evidence == EvidenceKind.DELIVERABLE:
        name = clause.evidence_deliverable.name if clause.evidence_deliverable else "(deliverable removed)"
        return f"Deliverable “{name}” accepted"
    if clause.evidence == EvidenceKind.REPORT:
        return f"A {clause.evidence_report_kind} report sent"
    return "Nothing named yet"


def _reports_sent(ids: frozenset[int]) -> dict[tuple[int, str], dt.datetime | None]:
    """When a report of each (project id, report kind) of the projects ``ids`` was last sent to a recipient (the
    latest email's ``sent_at``); one query. A pair missing was never sent.

    Followed from the project's side (``Project.reports``, the relation the reports app adds), so
    ``projects`` imports nothing of ``reports``.
    """
    rows = (
        Project.objects.filter(pk__any=ids, reports__deliveries__email__status=EmailStatus.SENT)
        .values_list("pk", "reports__kind")
        .annotate(last=Max("reports__deliveries__email__sent_at"))
        .order_by()
    )
    return {(pk, kind): last for pk, kind, last in rows}


def _periods_begun(clauses: list[Clause]) -> dict[int, dt.date]:
    """When the current period of each repeating clause of ``clauses`` began: the due date of its latest ended
    period (a clause none of whose periods has ended is missing: its first period began with it). One query,
    none without such a clause."""
    repeating = [clause.pk for clause in clauses if clause.recurrence]
    if not repeating:
        return {}
    rows = (
        ObligationOccurrence.objects.filter(clause_id__in=repeating)
        .values_list("clause_id")
        .annotate(last=Max("due_date"))
        .order_by()
    )
    return dict(rows)


def obligation_rows(*, projects: QuerySet[Project], today: dt.date) -> list[ObligationRow]:
    """Each obligation clause of ``projects`` with its compliance state; 3 queries at most whatever the number.

    Ordered overdue, missing, due, met, then by deadline and number. The
    documents on file are read only for the projects with a clause met by a
    document, the reports sent only for those with a clause met by a report
    (none, no query: a desk of projects without such clauses asked for both).
    """
    clauses = list(
        Clause.objects.filter(project__in=projects, kind=ClauseKind.OBLIGATION)
        .select_related("project", "evidence_deliverable")
        .order_by("project__code", "number")
    )
    by_document = frozenset(c.project_id for c in clauses if c.evidence == EvidenceKind.DOCUMENT)
    by_report = frozenset(c.project_id for c in clauses if c.evidence == EvidenceKind.REPORT)
    on_file = set()
    if by_document:
        on_file = set(
            Document.objects.filter(project_id__any=by_document, status__in=LIVE_DOCUMENT, versions__is_current=True)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .values_list("project_id", "kind")
            .distinct()
        )
    sent = _reports_sent(by_report) if by_report else {}
    # A repeating obligation met by a report is met by one sent in its current period: last month's report does
    # not meet this month's.
    begun = _periods_begun([c for c in clauses if c.evidence == EvidenceKind.REPORT]) if by_report else {}
    rows = []
    for clause in clauses:
        if clause.evidence == EvidenceKind.DOCUMENT:
            met = (clause.project_id, clause.evidence_document_kind) in on_file
        elif clause.evidence == EvidenceKind.DELIVERABLE:
            met = clause.evidence_deliverable is not None and (
                clause.evidence_deliverable.status == DeliverableStatus.ACCEPTED
            )
        elif clause.evidence == EvidenceKind.REPORT:
            key = (clause.project_id, clause.evidence_report_kind)
            since = begun.get(clause.pk)
            last = sent.get(key)
            met = key in sent and (since is None or (last is not None and timezone.localdate(last) > since))
        else:
            met = False
        days_left = (clause.deadline - today).days if clause.deadline else None
        if met:
            state = MET
        elif not clause.evidence:
            state = MISSING
        elif days_left is not None and days_left < 0:
            state = OVERDUE
        else:
            state = DUE
        rows.append(ObligationRow(clause=clause, state=state, evidence=_evidence_label(clause), days_left=days_left))
    order = {OVERDUE: 0, MISSING: 1, DUE: 2, MET: 3}
    rows.sort(key=lambda r: (order[r.state], r.clause.deadline or dt.date.max, r.clause.project.code))
    return rows


def compliance_counts(rows: Iterable[ObligationRow]) -> dict[str, int]:
    """``{"met": n, "due": n, "overdue": n, "missing": n, "total": n}``."""
    counts = dict.fromkeys((MET, DUE, OVERDUE, MISSING), 0)
    for row in rows:
        counts[row.state] += 1
    counts["total"] = sum(counts.values())
    return counts


@dataclass
class ProjectCompliance:
    """A project's line of the department compliance view and report section."""

    project: Project
    overdue: list[ObligationRow] = field(default_factory=list)
    missing_evidence: list[ObligationRow] = field(default_factory=list)
    missing_documents: list[str] = field(default_factory=list)
    expired_documents: list[Document] = field(default_factory=list)
    due: int = 0
    met: int = 0

    @property
    def clean(self) -> bool:
        """Nothing wrong: no overdue obligation, no missing evidence or document, nothing expired."""
        return not (self.overdue or self.missing_evidence or self.missing_documents or self.expired_documents)

    @property
    def needs_action(self) -> bool:
        """Something wrong, or an obligation due (deadline ahead, not met yet): listed on the department page."""
        return not self.clean or self.due > 0


def portfolio_compliance(
    *, projects: QuerySet[Project], today: dt.date, rows: list[ObligationRow] | None = None
) -> list[ProjectCompliance]:
    """Per project with an obligation or an expired document (ordered by code): overdue obligations, missing
    evidence, missing and expired documents.

    "Missing documents" are the document kinds obligations wait for that are
    not on file (approved or signed, current, not expired); "expired" are
    documents past their expiry not marked superseded. A project with neither
    an obligation nor an expired document has nothing to show (it is clean, nothing
    due) and is left out, so a thousand such projects cost nothing. 4 queries
    (1 when ``rows`` from :func:`obligation_rows` of the same projects are given).
    """
    lines: dict[int, ProjectCompliance] = {}
    for row in rows if rows is not None else obligation_rows(projects=projects, today=today):
        line = lines.get(row.clause.project_id)
        if line is None:
            line = lines[row.clause.project_id] = ProjectCompliance(project=row.clause.project)
        if row.state == OVERDUE:
            line.overdue.append(row)
        elif row.state == MISSING:
            line.missing_evidence.append(row)
        elif row.state == DUE:
            line.due += 1
        else:
            line.met += 1
        if row.state != MET and row.clause.evidence == EvidenceKind.DOCUMENT:
            label = DocumentKind(row.clause.evidence_document_kind).label
            if label not in line.missing_documents:
                line.missing_documents.append(label)
    expired = (
        Document.objects.filter(project__in=projects, expires_on__lt=today)
        .exclude(status=DocumentStatus.SUPERSEDED)
        .select_related("project")
    )
    for document in expired:
        line = lines.get(document.project_id)
        if line is None:
            line = lines[document.project_id] = ProjectCompliance(project=document.project)
        line.expired_documents.append(document)
    return sorted(lines.values(), key=lambda line: line.project.code)


# --- Clauses ---------------------------------------------------------------------------------


def clause_list(*, project: Project) -> list[Clause]:
    """The project's clauses with the contract and ``pending`` ([proposal] or []); 2 queries."""
    pending = Prefetch(
        "proposals",
        queryset=ClauseChangeProposal.objects.filter(status=ProposalStatus.PENDING).select_related("proposed_by"),
        to_attr="pending",
    )
    return list(
        Clause.objects.filter(project=project)
        .select_related("contract", "evidence_deliverable")
        .prefetch_related(pending)
        .order_by("number", "pk")
    )
