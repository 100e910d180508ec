"""Exception reports (PRINCE2): the snapshot of one tolerance breach, and queueing the report when one is raised.

When ``projects.budget.services.budget_check`` raises a
:class:`~projects.models.ToleranceException` it sends
``tolerance_exception_raised``; :func:`exception_report_queue` (connected in
``ReportsConfig.ready``) writes one internal, project-scope Report of kind
``exception`` pointing at it (``Report.tolerance_exception``) and publishes
its render after commit. The pipeline then renders the PDF and delivers it to
the project's reporting heads and to the PM (as the requester).

Snapshot shape (internal audience only; money as Decimal strings)::

    {"schema": 1, "kind": "exception", "audience": "internal", "scope": "project",
     "title", "scope_label", "period_start": None, "period_end", "generated_at",
     "exception": {"id", "kind", "kind_label", "state", "summary", "raised_at",
                   "tolerance", "actual"},
     "figures": {bac, eac, eac_method, vac, ac, ev, pv, cpi, spi, currency,
                 forecast_finish, baseline_finish, as_of},
     "project": {code, name, client, project_manager, start_date, end_date, rag},
     "chart_svg": "<svg ...>" (burn-up of PV, EV and AC),
     "projects": [], "totals": {}, "summary_lines": [...]}
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apm import queueing
from apm.charts.burn_up import burn_up_svg
from projects.budget.selectors import burn_up_series
from projects.models import ToleranceException
from reports.models import Audience, Report, ReportKind, ReportStatus, Scope


def exception_snapshot(*, exception_id: int | None, audience: str, title: str) -> dict[str, Any]:
    """The snapshot of the exception report about ToleranceException ``exception_id`` (shape above).

    The figures are those stored when the exception was raised, so the PDF
    explains the breach as it was. Raises ValueError for a client audience
    (an exception report holds internal costs) or a missing exception.
    """
    if audience != Audience.INTERNAL:
        raise ValueError("An exception report is internal: it holds costs and forecasts.")
    if exception_id is None:
        raise ValueError("An exception report needs the tolerance exception it is about.")
    exception = ToleranceException.objects.select_related("project__client", "project__project_manager").get(
        pk=exception_id
    )
    project = exception.project
    figures = dict(exception.figures)
    as_of = timezone.localdate(exception.raised_at)
    series = burn_up_series(project=project, as_of=as_of)
    pm = project.project_manager
    return {
        "schema": 1,
        "kind": ReportKind.EXCEPTION.value,
        "audience": Audience.INTERNAL.value,
        "scope": Scope.PROJECT.value,
        "title": title,
        "scope_label": f"{project.code} — {project.name}",
        "period_start": None,
        "period_end": as_of.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "exception": {
            "id": exception.pk,
            "kind": exception.kind,
            "kind_label": exception.get_kind_display(),
            "state": exception.state,
            "summary": exception.summary,
            "raised_at": exception.raised_at.isoformat(),
            "tolerance": figures.get("tolerance", ""),
            "actual": figures.get("actual", ""),
        },
        "figures": figures,
        "project": {
            "code": project.code,
            "name": project.name,
            "client": project.client.name if project.client_id else "",
            "project_manager": (pm.get_full_name() or pm.username) if pm else "",
            "start_date": project.start_date.isoformat() if project.start_date else None,
            "end_date": project.end_date.isoformat() if project.end_date else None,
            "rag": project.rag,
        },
        "chart_svg": burn_up_svg(series, currency=project.currency, title=f"{project.code}: PV, EV and AC"),
        "projects": [],
        "totals": {},
        "changes": {},
        "summary_lines": [
            exception.summary,
            f"EAC ({figures.get('eac_method', '')}) {figures.get('eac')} against BAC {figures.get('bac')} "
            f"{figures.get('currency', '')}; CPI {figures.get('cpi') or '—'}, SPI {figures.get('spi') or '—'}",
        ],
    }


def exception_report_queue(sender, exception: ToleranceException, **kwargs) -> Report:
    """Write the queued exception Report for ``exception`` and publish its render after commit."""
    project = exception.project
    now = timezone.now()
    with transaction.atomic():
        report = Report.objects.create(
            kind=ReportKind.EXCEPTION,
            audience=Audience.INTERNAL,
            scope=Scope.PROJECT,
            project=project,
            tolerance_exception=exception,
            title=f"Exception report: {project.code} {exception.get_kind_display().lower()} tolerance"[:300],
            scheduled_for=now,
            period_end=timezone.localdate(now),
            status=ReportStatus.QUEUED,
            queued_at=now,
            requested_by=project.project_manager,
        )
        from reports.tasks import render_report

        queueing.publish_on_commit(render_report, report.pk)
    return report
