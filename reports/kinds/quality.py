"""The quality report: reviews done in the period, pass rate per standard, open non-conformances
and their age, client sign-offs accepted and rejected.

Project or department scope; internal or client audience (the client one of a
project only); scheduled, and sent now from a project's or department's
reports page, like the highlight and portfolio reports. The client version
leaves out reviewers' names, notes and the internal descriptions of
non-conformances (redaction happens here, in the snapshot). Percentages are
0-100 with one decimal, as strings; dates ISO strings.

Snapshot shape::

    {"schema": 1, "kind": "quality", "audience", "scope", "title", "scope_label",
     "period_start", "period_end", "generated_at",
     "quality": {
        "reviews": [{date, project, deliverable, outcome, passed, failed, na, reviewer?}],
        "standards": [{name, version, scope_label, checks, passed, failed, na, pass_rate}],
        "overall_pass_rate", "reviews_count", "reviews_passed",
        "open_ncs": [{reference, project, deliverable, title, status, opened, age_days, owner?, due?}],
        "sign_offs": [{date, project, deliverable, accepted, comment, by}],
        "accepted", "rejected",
        "gantt_svg": "<svg…>" (project scope only)},
     "projects": [{code, name, client}], "totals": {}, "changes": {}, "summary_lines": [...]}
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from apm.charts.gantt import gantt_svg
from apm.reporting import ReportKind
from projects.delivery.selectors import gantt_rows
from projects.models import (
    CheckResult,
    Deliverable,
    DeliverableStatus,
    NonConformance,
    NonConformanceStatus,
    Project,
    QualityReview,
    ReviewCheck,
)
from reports.kinds.base import SCHEMA_VERSION, ReportKindSpec, Snapshot, SnapshotRequest, scope_label
from reports.models import Audience, Scope

if TYPE_CHECKING:
    from apm.accounts.models import User


class QualitySnapshot(Snapshot):
    """A quality report's own key, ``quality`` (shape in the module docstring)."""

    quality: dict[str, Any]


def pass_rate(passed: int, failed: int) -> str | None:
    """Passed / (passed + failed) * 100, one decimal, half-up (not-applicable checks left out); None if none."""
    if passed + failed == 0:
        return None
    return str((Decimal(passed) * 100 / Decimal(passed + failed)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _window(period_start: dt.date | None, period_end: dt.date) -> tuple[dt.datetime | None, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period_start, dt.time.min, tzinfo=tz) if period_start else None
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def build_snapshot(request: SnapshotRequest) -> QualitySnapshot:
    """The snapshot of a quality report (shape above), in a fixed number of queries.

    Raises ValueError unless it covers one project or one department (:func:`quality_projects`).
    """
    internal = request.internal
    scope, period_start, period_end = request.scope, request.period_start, request.period_end
    project_list = list(quality_projects(request).select_related("client").order_by("code"))
    start, end = _window(period_start, period_end)
    in_period = {"completed_at__lt": end, **({"completed_at__gte": start} if start else {})}
    reviews = list(
        QualityReview.objects.filter(deliverable__project__in=project_list, **in_period)
        .select_related("deliverable__project", "reviewer")
        .order_by("completed_at", "pk")
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_standard: dict[int, dict[str, Any]] = {}
    checks = ReviewCheck.objects.filter(review__in=reviews).select_related("criterion__standard__client")
    for check in checks:
        counts[check.review_id][check.result] += 1
        standard = check.criterion.standard
        row = per_standard.setdefault(
            standard.pk,
            {
                "name": standard.name,
                "version": standard.version,
                "scope_label": standard.scope_label,
                "passed": 0,
                "failed": 0,
                "na": 0,
            },
        )
        row[{"passed": "passed", "failed": "failed"}.get(check.result, "na")] += 1
    standards = sorted(per_standard.values(), key=lambda r: (r["scope_label"] != "Company-wide", r["name"]))
    for row in standards:
        row["checks"] = row["passed"] + row["failed"] + row["na"]
        row["pass_rate"] = pass_rate(row["passed"], row["failed"])
    review_rows = []
    for review in reviews:
        row = {
            "date": timezone.localdate(review.completed_at).isoformat(),
            "project": review.deliverable.project.code,
            "deliverable": review.deliverable.name,
            "outcome": review.get_outcome_display(),
            "passed": counts[review.pk][CheckResult.PASSED],
            "failed": counts[review.pk][CheckResult.FAILED],
            "na": counts[review.pk][CheckResult.NOT_APPLICABLE],
        }
        if internal:
            row["reviewer"] = _name(review.reviewer)
        review_rows.append(row)
    total_passed = sum(r["passed"] for r in standards)
    total_failed = sum(r["failed"] for r in standards)

    open_ncs = []
    ncs = (
        NonConformance.objects.filter(deliverable__project__in=project_list, opened_at__lt=end)
        .exclude(status=NonConformanceStatus.CLOSED, closed_at__lt=end)
        .select_related("deliverable__project", "action_owner")
        .order_by("opened_at", "pk")
    )
    for nc in ncs:
        row = {
            "reference": nc.reference,
            "project": nc.deliverable.project.code,
            "deliverable": nc.deliverable.name,
            "title": nc.title,
            "status": nc.get_status_display(),
            "opened": timezone.localdate(nc.opened_at).isoformat(),
            "age_days": (period_end - timezone.localdate(nc.opened_at)).days,
        }
        if internal:
            row["owner"] = _name(nc.action_owner)
            row["due"] = nc.action_due.isoformat() if nc.action_due else None
            row["corrective_action"] = nc.corrective_action
        open_ncs.append(row)

    signed = {"signed_off_at__lt": end, **({"signed_off_at__gte": start} if start else {})}
    sign_offs = []
    for item in (
        Deliverable.objects.filter(project__in=project_list, **signed)
        .select_related("project", "signed_off_contact", "signed_off_by")
        .order_by("signed_off_at", "pk")
    ):
        contact = item.signed_off_contact
        by = contact.name if contact is not None else _name(item.signed_off_by)
        sign_offs.append(
            {
                "date": timezone.localdate(item.signed_off_at).isoformat(),
                "project": item.project.code,
                "deliverable": item.name,
                "accepted": item.status == DeliverableStatus.ACCEPTED,
                "comment": item.sign_off_comment,
                "by": by,
            }
        )
    accepted = sum(1 for s in sign_offs if s["accepted"])
    rejected = len(sign_offs) - accepted
    gantt = ""
    if scope == Scope.PROJECT and len(project_list) == 1:
        gantt = gantt_svg(rows=gantt_rows(project=project_list[0]), today=period_end, width=760)
    overall = pass_rate(total_passed, total_failed)
    passed_reviews = sum(1 for r in reviews if r.outcome == "passed")
    summary = [
        f"{len(reviews)} review{'s' if len(reviews) != 1 else ''} in the period, {passed_reviews} passed; "
        f"pass rate {overall + '%' if overall else '—'} of the criteria that applied.",
        f"{len(open_ncs)} open non-conformance{'s' if len(open_ncs) != 1 else ''}"
        + (f", the oldest {_days(max(r['age_days'] for r in open_ncs))} old." if open_ncs else "."),
        f"Client sign-offs: {accepted} accepted, {rejected} rejected.",
    ]
    return {
        "schema": SCHEMA_VERSION,
        "kind": ReportKind.QUALITY.value,
        "audience": request.audience,
        "scope": scope,
        "title": request.title,
        "scope_label": scope_label(request),
        "period_start": period_start.isoformat() if period_start else None,
        "period_end": period_end.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "quality": {
            "reviews": review_rows,
            "reviews_count": len(reviews),
            "reviews_passed": passed_reviews,
            "standards": standards,
            "overall_pass_rate": overall,
            "open_ncs": open_ncs,
            "sign_offs": sign_offs,
            "accepted": accepted,
            "rejected": rejected,
            "gantt_svg": gantt,
        },
        "projects": [
            {"code": p.code, "name": p.name, "client": p.client.name if p.client is not None else ""}
            for p in project_list
        ],
        "totals": {},
        "changes": {},
        "summary_lines": summary,
    }


def quality_projects(request: SnapshotRequest) -> QuerySet[Project]:
    """The projects a quality report covers (project or department scope); ValueError otherwise."""
    if request.scope == Scope.PROJECT and request.project is not None:
        return Project.objects.filter(pk=request.project.pk)
    if request.scope == Scope.DEPARTMENT and request.department is not None:
        return Project.objects.filter(departments=request.department).distinct()
    raise ValueError("A quality report covers one project or one department.")


SPEC = ReportKindSpec(
    kind=ReportKind.QUALITY,
    scopes=(Scope.PROJECT, Scope.DEPARTMENT),
    audiences=(Audience.INTERNAL, Audience.CLIENT),
    build_snapshot=build_snapshot,
    template="reports/pdf/quality.html",
    send_now=True,
)
