"""Reads for the client portal. Every value a client page shows is built by ``projects.common.client_view``.

The portal hands its templates only values of the client view's declaration
(:class:`~projects.common.client_view.ClientStatus`, the cards of the
projects list, the client's invoices and retainers), never model instances,
so no internal figure (BAC, budgets, forecasts, costs, rates, margins, budget
commentary, a change's cost) can reach a client page. Projects come from
``apm.access.see_project``, reports from ``apm.access.see_report``, invoices
from ``apm.access.see_invoice``: only issued ones, never a draft, also for
internal users previewing the portal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apm import access
from apm.accounts.services import token_hash
from apm.dates import parse_id_param
from projects.billing import revenue
from projects.billing.margin import retainer_terms
from projects.changes.selectors import change_requests_awaiting_client
from projects.common import client_view
from projects.delivery.selectors import deliverables_awaiting_sign_off
from projects.documents.selectors import shared_documents
from projects.models import (
    Approval,
    Approvers,
    ApproverSide,
    BillingModel,
    ChangeRequest,
    ChangeStatus,
    Deliverable,
    DeliverableStatus,
    Invoice,
    InvoiceLine,
    Milestone,
    Project,
    StatusUpdate,
    TimeEntry,
)
from projects.portal.models import ShareLink

if TYPE_CHECKING:
    from apm.accounts.models import User

#: Status updates in the RAG trend.
TREND_POINTS = 8
#: Of those, the latest that say something are the "recent highlights".
HIGHLIGHTS = 3
#: Reports listed on a status page (older ones still download by id).
REPORTS = 24
#: Items of each kind listed as waiting on the portal home (the rest are on each project's page).
WAITING = 50


class WaitingSignOff(TypedDict):
    """A deliverable awaiting the client's sign-off, with the card of its project (the portal home)."""

    project: client_view.ClientProjectCard
    deliverable: client_view.ClientDeliverable


class WaitingDecision(TypedDict):
    """A change request awaiting the client's decision, with the card of its project (the portal home)."""

    project: client_view.ClientProjectCard
    change_request: client_view.ClientChangeRequest


class PortalWaiting(TypedDict):
    """What waits for the client across their projects: at most ``WAITING`` of each kind, and whether more wait."""

    sign_offs: list[WaitingSignOff]
    decisions: list[WaitingDecision]
    more: bool


def portal_projects(*, user: User) -> QuerySet[Project]:
    """The projects ``user`` sees in the portal (a client contact: their client's), by code, with the client."""
    return access.see_project.queryset(user).select_related("client").order_by("code")


def portal_cards(*, projects: list[Project]) -> list[client_view.ClientProjectCard]:
    """The client's cards of ``projects`` (no query when the client is joined)."""
    return [client_view.client_project_card(project) for project in projects]


def portal_waiting(*, user: User) -> PortalWaiting:
    """Deliverables awaiting sign-off (earliest due first) and change requests awaiting the client's decision
    (oldest submitted first) in the projects ``user`` sees in the portal; 2 queries, however many projects.

    The same items as each project's ``deliverables_awaiting_sign_off`` and
    ``change_requests_awaiting_client``, taken across projects in one query each.
    """
    projects = access.see_project.queryset(user)
    deliverables = list(
        Deliverable.objects.filter(project__in=projects, status=DeliverableStatus.AWAITING_SIGN_OFF)
        .select_related("project__client", "review_document")
        .order_by("due_date", "project__code", "pk")[: WAITING + 1]
    )
    changes = list(
        ChangeRequest.objects.filter(
            project__in=projects, status=ChangeStatus.SUBMITTED, approvers__in=[Approvers.CLIENT, Approvers.BOTH]
        )
        .exclude(approvals__side=ApproverSide.CLIENT)
        .select_related("project__client")
        .order_by("submitted_at", "project__code", "number")[: WAITING + 1]
    )
    return {
        "sign_offs": [
            {"project": client_view.client_project_card(d.project), "deliverable": client_view.client_deliverable(d)}
            for d in deliverables[:WAITING]
        ],
        "decisions": [
            {
                "project": client_view.client_project_card(c.project),
                "change_request": client_view.client_change_request(c),
            }
            for c in changes[:WAITING]
        ],
        "more": len(deliverables) > WAITING or len(changes) > WAITING,
    }


def portal_sign_off(*, project: Project, deliverable: Deliverable) -> WaitingSignOff:
    """The deliverable a client is about to sign off, with the card of its project (reads ``project.client``)."""
    return {
        "project": client_view.client_project_card(project),
        "deliverable": client_view.client_deliverable(deliverable),
    }


def client_reports(*, user: User | None, project: Project) -> QuerySet:
    """Rendered client-audience reports of ``project`` with a PDF, newest first (a ``reports.Report`` queryset).

    ``user`` None is an anonymous share-link visitor, who may see the
    project's client reports; otherwise the reports come from
    ``apm.access.see_report``.
    """
    reports = project.reports.all() if user is None else access.see_report.queryset(user).filter(project=project)
    return reports.filter(audience=access.CLIENT, status="rendered").exclude(pdf="").order_by("-period_end", "-pk")


def portal_status(*, project: Project, user: User | None, today: dt.date | None = None) -> client_view.ClientStatus:
    """What a client sees of ``project`` on a status page (``user`` None: through a share link); 7 queries.

    The latest ``TREND_POINTS`` status updates make the trend (oldest first)
    and, of those saying something, the latest ``HIGHLIGHTS`` the
    highlights; milestones are judged on ``today`` (default: today, local).
    """
    today = today or timezone.localdate()
    updates = list(
        StatusUpdate.objects.filter(project=project).select_related("author").order_by("-as_of")[:TREND_POINTS]
    )
    milestones = Milestone.objects.filter(project=project).order_by("due_date", "pk")
    trend = client_view.client_trend(reversed(updates))
    return {
        "project": client_view.client_project(
            project, latest=updates[0] if updates else None, milestones=milestones, today=today
        ),
        "trend": trend,
        "direction": client_view.trend_direction(trend),
        "highlights": [
            client_view.client_highlight(update)
            for update in updates[:HIGHLIGHTS]
            if update.commentary_overall or update.work_done or update.work_planned or update.decisions_needed
        ],
        "deliverables": [client_view.client_deliverable(d) for d in deliverables_awaiting_sign_off(project=project)],
        "change_requests": [
            client_view.client_change_request(change) for change in change_requests_awaiting_client(project=project)
        ],
        "reports": [
            client_view.client_report(report) for report in client_reports(user=user, project=project)[:REPORTS]
        ],
        "documents": [client_view.client_document(document) for document in shared_documents(project=project)],
    }


def live_share_link(*, token: str, now: dt.datetime | None = None) -> ShareLink | None:
    """The share link of ``token`` while live (not revoked, not expired at ``now``), with its project; else None."""
    now = now or timezone.now()
    return (
        ShareLink.objects.select_related("project", "project__client")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )


# --- Invoices and retainers ---------------------------------------------------------------------


def portal_invoices(*, user: User) -> QuerySet[Invoice]:
    """The issued invoices and credit notes ``user`` sees (``access.see_invoice``; paid and void ones too, never a
    draft), newest first, each with its client and the invoice a credit note reverses: one query for a page."""
    return (
        access.see_invoice.queryset(user)
        .filter(state__in=access.CLIENT_INVOICE_STATES)
        .select_related("client", "credited_invoice")
        .order_by("-issue_date", "-issued_at", "-pk")
    )


def portal_invoice(*, user: User, pk: object) -> Invoice | None:
    """The issued invoice or credit note ``pk`` among :func:`portal_invoices`, else None (also for a ``pk`` that is
    no database id). One query."""
    number = parse_id_param(str(pk))
    return None if number is None else portal_invoices(user=user).filter(pk=number).first()


def portal_invoice_view(*, invoice: Invoice, today: dt.date) -> client_view.ClientInvoice:
    """``invoice`` (from :func:`portal_invoice`) as the client sees it, with its lines in order. One query."""
    lines = InvoiceLine.objects.filter(invoice=invoice).select_related("project").order_by("position", "pk")
    return client_view.client_invoice(invoice, lines=lines, today=today)


def portal_retainers(*, user: User, today: dt.date) -> list[client_view.ClientRetainer]:
    """This month (``today``'s) of each retainer project ``user`` sees of the clients whose invoices they see
    (``access.invoice_clients``: a contact's own client), by code; a retainer not running this month is left out.
    Two queries, however many projects.

    Hours used are the approved billable hours, counted from the retainer's
    first month so that rolled-over hours are as the invoices bill them
    (``projects.billing.revenue.retainer_months``).
    """
    projects = list(
        access.see_project.queryset(user)
        .filter(client__in=access.invoice_clients(user), billing__model=BillingModel.RETAINER)
        .select_related("billing")
        .order_by("code")
    )
    if not projects:
        return []
    hours: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    used = (
        TimeEntry.objects.filter(
            project__in=[project.pk for project in projects],
            approval=Approval.APPROVED,
            billable=True,
            date__lte=today,
        )
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values_list("project_id", "month")
        .annotate(hours=Sum("hours"))
    )
    for project_id, month, total in used:
        hours[project_id].append((month.date() if isinstance(month, dt.datetime) else month, total))
    found = []
    this_month = revenue.month_of(today)
    for project in projects:
        months = revenue.retainer_months(
            terms=retainer_terms(project, project.billing), hours=hours[project.pk], as_of=today
        )
        if months and months[-1].month == this_month:
            found.append(client_view.client_retainer(project, month=months[-1]))
    return found
