"""The data snapshot a report is rendered from: :func:`report_build_snapshot`, the one entry point.

A snapshot is a JSON-serialisable dict (money as Decimal strings in major
units, e.g. pounds; dates ISO ``YYYY-MM-DD``; ``generated_at`` an aware ISO
datetime) holding everything the print templates show. It is stored with the
Report so that a PDF can always be explained and re-rendered.

Every snapshot has ``schema, kind, audience, scope, title, scope_label,
period_start, period_end, generated_at, projects, totals, changes,
summary_lines`` (3-6 plain-text lines for the email body), the keys of
:class:`reports.kinds.base.Snapshot`; the rest is the kind's, in a TypedDict
that extends it and described by its module in ``reports/kinds/`` (the
kinds with a row per project in ``reports.kinds.project_rows``). Redaction
happens in the kind's builder: the client snapshot is built from the client
view (``projects.common.client_view``), never by deleting internal keys
afterwards.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from reports.kinds import kind_for
from reports.kinds.base import Snapshot, SnapshotRequest
from reports.models import Audience

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Project
    from teams.models import Department


def report_build_snapshot(
    *,
    kind: str,
    audience: str,
    scope: str,
    project: Project | None = None,
    department: Department | None = None,
    project_manager: User | None = None,
    period_start: dt.date | None,
    period_end: dt.date,
    title: str,
    previous_snapshot: Snapshot | None = None,
    tolerance_exception_id: int | None = None,
    full_commentary: bool = False,
) -> Snapshot:
    """Build the JSON-serialisable snapshot of a report with the builder its kind declares.

    ``previous_snapshot``: the previous report of the same series, for "what
    changed"; ``tolerance_exception_id``: the broken tolerance of an
    exception report; ``full_commentary``: the commentary of every project
    (``SnapshotRequest.full_commentary``). Runs a fixed number of queries whatever the number of
    projects. Raises ValueError for an unknown kind or audience, and as the
    kind's builder does: for an audience it has no version for (an exception
    report is internal), a scope it cannot cover or a missing scope object.
    """
    spec = kind_for(kind)
    if audience not in Audience.values:
        raise ValueError(f"Unknown audience {audience!r}; expected internal or client.")
    return spec.build_snapshot(
        SnapshotRequest(
            kind=kind,
            audience=audience,
            scope=scope,
            project=project,
            department=department,
            project_manager=project_manager,
            period_start=period_start,
            period_end=period_end,
            title=title,
            previous_snapshot=previous_snapshot,
            tolerance_exception_id=tolerance_exception_id,
            full_commentary=full_commentary,
        )
    )
