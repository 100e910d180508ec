"""Each project's sums kept on write (:class:`projects.models.ProjectFigures`), and the columns that read them.

A page that rates a department of a thousand projects added up, on every
request, each project's time, expenses and budget lines and looked up its
newest status updates: eight correlated subqueries a project. Those sums
change only when one of the project's rows does, so they are written then,
in the writer's transaction, and the readers take one joined row a project.

* **Writing.** A project or its budget saved, or a time entry, expense,
  budget line or status update saved, moved to another project or deleted
  (signals, below) refreshes its project's row; a write that goes around the signals
  (``QuerySet.update``, ``bulk_create``) calls :func:`refresh` itself.
  :func:`deferred` gathers the refreshes of a long run of writes in one
  transaction (an import, a week's timesheet, the demo) into one at its
  end; meanwhile the projects it noted read as having no stored row. The
  row is locked before its sums are read, so two writers of the same
  project queue and the second reads what the first committed.
* **Reading.** :func:`cost_columns` gives, for a query of projects, each
  figure as the stored column when the row holds for the day asked
  (``ProjectFigures.as_of`` on or before it and no row of the project dated
  after ``as_of`` and on or before it), else the sum computed as before. A
  query that reads many projects as values takes the plain columns
  (:func:`stored_columns`), asks :func:`holds` of each and adds up the others
  in one query (:func:`live_figures`). A project without a row, or asked
  about another day, reads exactly as before; only the cost changes.
* **Days passing.** An entry dated in the future is left out of the sums
  until its day; the row says when (``next_due``) and, from that day, the
  readers compute the project's sums again until :func:`refresh_due` (beat,
  hourly) writes them. The same task writes the rows of projects that have
  none (created before the table, or by a bulk write).

``tests/conftest.py`` checks after every test that touches the database that
every stored row equals a fresh computation: a writer that forgets to
refresh fails the test that exercises it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    DateField,
    DecimalField,
    F,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from projects.budget import evm
from projects.models import (
    Approval,
    BudgetLine,
    CostBasis,
    Expense,
    Project,
    ProjectBudget,
    ProjectFigures,
    StatusUpdate,
    TimeEntry,
)

MONEY = DecimalField(max_digits=20, decimal_places=2)
PERCENT = DecimalField(max_digits=5, decimal_places=2)
ZERO = Decimal("0")
#: Projects refreshed a statement: bound parameters stay well under SQLite's limit.
BATCH = 500

#: The stored sums and what they are, each also computed live by :func:`_live_columns`.
SUMS = ("lines_total", "time_cost", "approved_time_cost", "expense_cost", "pct_complete")
STATUS = ("rag_now", "rag_before", "last_update")
#: The forecast at completion, from the sums and the project's BAC, budget basis and bottom-up estimate.
FORECAST = ("bac", "eac", "vac")

_deferred: ContextVar[set[int] | None] = ContextVar("apm_figures_deferred", default=None)


def today() -> dt.date:
    """Today in ``settings.TIME_ZONE``, the day the figures are written for."""
    return timezone.localdate()


# --- The sums, computed ----------------------------------------------------------------------------


def total(queryset: QuerySet[Any], field: str) -> Coalesce:
    """``SUM(field)`` of ``queryset`` (filtered on ``OuterRef("pk")``) as a plain aggregate subquery, 0 when empty.

    ``Func`` rather than ``Sum``: no ``GROUP BY`` and ``LIMIT`` in the subquery (the same total, cheaper to
    plan and run over a department's projects on PostgreSQL).
    """
    summed = queryset.order_by().annotate(total=Func(field, function="SUM", output_field=MONEY)).values("total")
    return Coalesce(Subquery(summed, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _newest_pct(as_of: dt.date) -> Subquery:
    # One update per project and date (a constraint): the date alone orders them.
    newest = (
        StatusUpdate.objects.filter(project=OuterRef("pk"), as_of__lte=as_of, percent_complete__isnull=False)
        .order_by("-as_of")
        .values("percent_complete")[:1]
    )
    return Subquery(newest, output_field=PERCENT)


def rag_of_update(offset: int) -> Subquery:
    """The RAG of the project's ``offset``-th newest rated status update (0 = newest), as a subquery."""
    updates = StatusUpdate.objects.filter(project=OuterRef("pk")).exclude(rag="").order_by("-as_of")
    return Subquery(updates.values("rag")[offset : offset + 1])


def last_update() -> Subquery:
    """The date of the project's newest status update (None when it has none), as a subquery."""
    return Subquery(StatusUpdate.objects.filter(project=OuterRef("pk")).order_by("-as_of").values("as_of")[:1])


def _logged(as_of: dt.date) -> QuerySet[TimeEntry]:
    return TimeEntry.objects.filter(project=OuterRef("pk"), date__lte=as_of)


def _sums(as_of: dt.date, total_of: Callable[[QuerySet[Any], str], Any]) -> dict[str, Any]:
    """The sums of :data:`SUMS` of a project added up from its rows as of ``as_of`` (``total_of``: how)."""
    logged = _logged(as_of)
    return {
        "lines_total": total_of(BudgetLine.objects.filter(project=OuterRef("pk")), "amount"),
        "time_cost": total_of(logged, "cost"),
        "approved_time_cost": total_of(logged.filter(approval=Approval.APPROVED), "cost"),
        "expense_cost": total_of(Expense.objects.filter(project=OuterRef("pk"), date__lte=as_of), "amount"),
        "pct_complete": _newest_pct(as_of),
    }


def _live_columns(as_of: dt.date) -> dict[str, Any]:
    """Every figure of a project computed from its rows, as of ``as_of``."""
    return {
        **_sums(as_of, total),
        "rag_now": rag_of_update(0),
        "rag_before": rag_of_update(1),
        "last_update": last_update(),
    }


def _first_after(queryset: QuerySet[Any], as_of: dt.date) -> Subquery:
    dated = queryset.filter(project=OuterRef("pk"), date__gt=as_of).order_by().values("project")
    return Subquery(dated.annotate(first=Min("date")).values("first")[:1], output_field=DateField())


# --- The sums, read --------------------------------------------------------------------------------


def _holds(as_of: dt.date) -> Q:
    """The project's stored row holds on ``as_of`` (and it is not waiting in :func:`deferred`)."""
    held = Q(figures__as_of__lte=as_of) & (Q(figures__next_due__isnull=True) | Q(figures__next_due__gt=as_of))
    waiting = _deferred.get()
    return held & ~Q(pk__in=sorted(waiting)) if waiting else held


def _stored_or(name: str, live: Any, as_of: dt.date, output_field: Any) -> Case:
    return Case(When(_holds(as_of), then=F(f"figures__{name}")), default=live, output_field=output_field)


def _computed_costs(as_of: dt.date, total_of: Callable[[QuerySet[Any], str], Any]) -> dict[str, Any]:
    """``lines_total``, ``time_cost`` (by the cost basis of the project's budget), ``expense_cost`` and
    ``pct_complete`` as of ``as_of``, added up from the project's rows."""
    sums = _sums(as_of, total_of)
    return {
        "lines_total": sums["lines_total"],
        "time_cost": Case(
            When(budget__cost_basis=CostBasis.APPROVED, then=sums["approved_time_cost"]),
            default=sums["time_cost"],
            output_field=MONEY,
        ),
        "expense_cost": sums["expense_cost"],
        "pct_complete": sums["pct_complete"],
    }


def cost_columns(*, as_of: dt.date, total_of: Callable[[QuerySet[Any], str], Any] | None = None) -> dict[str, Any]:
    """``lines_total``, ``time_cost`` (the time actual cost reads: all of it, or the approved part when the
    project's budget says so), ``expense_cost`` and ``pct_complete`` as of ``as_of``, as columns of a query of
    projects: stored where the project's row holds, else computed (``total_of``: how a sum is computed, by
    default :func:`total`)."""
    computed = _computed_costs(as_of, total_of or total)
    holds = _holds(as_of)
    approved = Q(budget__cost_basis=CostBasis.APPROVED)
    return {
        "lines_total": _stored_or("lines_total", computed["lines_total"], as_of, MONEY),
        "time_cost": Case(
            When(holds & approved, then=F("figures__approved_time_cost")),
            When(holds, then=F("figures__time_cost")),
            default=computed["time_cost"],
            output_field=MONEY,
        ),
        "expense_cost": _stored_or("expense_cost", computed["expense_cost"], as_of, MONEY),
        "pct_complete": _stored_or("pct_complete", computed["pct_complete"], as_of, PERCENT),
    }


#: What :func:`stored_columns` adds beside the figures: the row's day and next due day (None without a row).
KEPT_AS_OF, KEPT_NEXT_DUE = "kept_as_of", "kept_next_due"
#: The figures a rating reads, in the order :func:`live_figures` gives them.
RATED = ("lines_total", "time_cost", "expense_cost", "pct_complete", "rag_now", "last_update", "rag_before")


def stored_columns() -> dict[str, Any]:
    """The figures of :data:`RATED` as plain columns of the project's stored row (``time_cost`` by the cost
    basis of its budget), with :data:`KEPT_AS_OF` and :data:`KEPT_NEXT_DUE`: for a query of many projects read
    as values, where the ``CASE`` of :func:`cost_columns` costs more to build and plan than the rows it
    reads. The caller asks :func:`holds` of each row and takes :func:`live_figures` for those it does not hold
    for (a fixed number of queries: one more when there are any)."""
    return {
        "lines_total": F("figures__lines_total"),
        "time_cost": Case(
            When(budget__cost_basis=CostBasis.APPROVED, then=F("figures__approved_time_cost")),
            default=F("figures__time_cost"),
            output_field=MONEY,
        ),
        "expense_cost": F("figures__expense_cost"),
        "pct_complete": F("figures__pct_complete"),
        "rag_now": F("figures__rag_now"),
        "last_update": F("figures__last_update"),
        "rag_before": F("figures__rag_before"),
        KEPT_AS_OF: F("figures__as_of"),
        KEPT_NEXT_DUE: F("figures__next_due"),
    }


def holds(kept_as_of: Any, kept_next_due: Any, as_of: dt.date, pk: int | None = None) -> bool:
    """Whether a stored row of day ``kept_as_of`` (None: no row) and next due day ``kept_next_due`` holds on
    ``as_of`` (the rule :func:`cost_columns` applies in the database), for the project ``pk``."""
    waiting = _deferred.get()
    if waiting and pk in waiting:
        return False
    return kept_as_of is not None and kept_as_of <= as_of and (kept_next_due is None or kept_next_due > as_of)


def live_figures(ids: frozenset[int], *, as_of: dt.date) -> dict[int, tuple[Any, ...]]:
    """The figures of :data:`RATED` of the projects ``ids`` as of ``as_of``, added up from their rows (one
    query; none when ``ids`` is empty)."""
    if not ids:
        return {}
    live = {
        **_computed_costs(as_of, total),
        "rag_now": rag_of_update(0),
        "last_update": last_update(),
        "rag_before": rag_of_update(1),
    }
    found = Project.objects.filter(pk__any=ids).order_by().annotate(**{f"live_{k}": v for k, v in live.items()})
    return {pk: tuple(rest) for pk, *rest in found.values_list("pk", *(f"live_{name}" for name in RATED))}


def with_kept(projects: list[Any], *, as_of: dt.date) -> list[Any]:
    """``projects``, loaded with :func:`stored_columns`, with the figures of :data:`RATED` as attributes: the
    stored ones where they hold on ``as_of``, else added up (one query when any is)."""
    live = live_figures(
        frozenset(p.pk for p in projects if not holds(getattr(p, KEPT_AS_OF), getattr(p, KEPT_NEXT_DUE), as_of, p.pk)),
        as_of=as_of,
    )
    for project in projects:
        if project.pk in live:
            for name, value in zip(RATED, live[project.pk], strict=True):
                setattr(project, name, value)
    return projects


# --- Writing ---------------------------------------------------------------------------------------


def refresh(project_ids: Iterable[int], *, as_of: dt.date | None = None) -> None:
    """Write the figures of the projects ``project_ids`` as of ``as_of`` (default: today); inside
    :func:`deferred`, only note them. Three queries and a write a :data:`BATCH` of projects."""
    ids = sorted({int(pk) for pk in project_ids if pk is not None})
    gathered = _deferred.get()
    if gathered is not None:
        gathered.update(ids)
        return
    as_of = as_of or today()
    for start in range(0, len(ids), BATCH):
        _refresh_batch(ids[start : start + BATCH], as_of)


def _computed(ids: list[int], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """Every stored figure of the projects ``ids`` (those that exist), computed from their rows as of ``as_of``;
    one query."""
    found = Project.objects.filter(pk__in=ids).annotate(
        **_live_columns(as_of),
        next_time=_first_after(TimeEntry.objects.all(), as_of),
        next_expense=_first_after(Expense.objects.all(), as_of),
        next_pct=_first_after_update(as_of),
    )
    basis = ("bac", "budget__cost_basis", "budget__etc_bottom_up")
    computed = {}
    for values in found.values("pk", *SUMS, *STATUS, "next_time", "next_expense", "next_pct", *basis):
        later = [day for day in (values.pop(key) for key in ("next_time", "next_expense", "next_pct")) if day]
        bac, cost_basis, etc = (values.pop(key) for key in basis)
        time_cost = values["approved_time_cost"] if cost_basis == CostBasis.APPROVED else values["time_cost"]
        lines_total = values["lines_total"]
        pct = values["pct_complete"]
        forecast = evm.forecast_at_completion(
            bac=evm.money(lines_total if lines_total else (bac or ZERO)),  # selectors.bac_of's rule
            ac=time_cost + values["expense_cost"],
            percent_complete=pct if pct is not None else ZERO,
            etc_bottom_up=etc,
        )
        computed[values.pop("pk")] = {
            "next_due": min(later) if later else None,
            **_blank_ragless(values),
            **dict(zip(FORECAST, forecast, strict=True)),
        }
    return computed


def _refresh_batch(ids: list[int], as_of: dt.date) -> None:
    with transaction.atomic():
        # Only projects that still exist (one created by a row rolled back since, in an import, is gone).
        ids = list(Project.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        if not ids:
            return
        # A placeholder row for a project without one (never read: dated after any day asked), so that every
        # row can be locked before the sums are read.
        ProjectFigures.objects.bulk_create(
            [
                ProjectFigures(project_id=pk, as_of=dt.date.max, **dict.fromkeys((*SUMS[:4], *FORECAST), ZERO))
                for pk in ids
            ],
            ignore_conflicts=True,
        )
        list(ProjectFigures.objects.select_for_update().filter(project_id__in=ids).order_by("pk").values("pk"))
        rows = [ProjectFigures(project_id=pk, as_of=as_of, **values) for pk, values in _computed(ids, as_of).items()]
        ProjectFigures.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["project"],
            update_fields=["as_of", "next_due", *SUMS, *STATUS, *FORECAST],
        )


def _blank_ragless(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with a RAG that no update gave (None) as the blank the column keeps."""
    return {key: "" if value is None and key in ("rag_now", "rag_before") else value for key, value in values.items()}


def _first_after_update(as_of: dt.date) -> Subquery:
    dated = (
        StatusUpdate.objects.filter(project=OuterRef("pk"), as_of__gt=as_of, percent_complete__isnull=False)
        .order_by("as_of")
        .values("as_of")[:1]
    )
    return Subquery(dated, output_field=DateField())


@contextlib.contextmanager
def deferred() -> Iterator[set[int]]:
    """Within, :func:`refresh` only notes the projects, and the readers add up those projects' sums themselves;
    on the way out (without an error) they are refreshed together. Nested: the outermost refreshes. Used
    inside a transaction, so that an error rolls back the writes with the refresh they skip."""
    if _deferred.get() is not None:
        yield _deferred.get()  # type: ignore[misc]
        return
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction, writes made before an error would stay without the refresh it skips.
        raise RuntimeError("figures.deferred() is used inside a transaction (transaction.atomic).")
    gathered: set[int] = set()
    token = _deferred.set(gathered)
    try:
        yield gathered
    finally:
        _deferred.reset(token)
    refresh(gathered)


def refresh_due(*, as_of: dt.date | None = None) -> int:
    """Write the figures of every project whose row no longer holds today (a dated row's day has come) or that
    has none; the number of projects refreshed."""
    as_of = as_of or today()
    ids = list(
        Project.objects.filter(
            Q(figures__isnull=True) | Q(figures__next_due__lte=as_of) | Q(figures__as_of__gt=as_of)
        ).values_list("pk", flat=True)
    )
    refresh(ids, as_of=as_of)
    return len(ids)


def drift() -> list[int]:
    """The projects whose stored row differs from a fresh computation as of the day it was written: always empty
    unless a writer forgot to refresh."""
    fields = (*SUMS, *STATUS, *FORECAST)
    by_day: dict[dt.date, dict[int, dict[str, Any]]] = {}
    for row in ProjectFigures.objects.exclude(as_of=dt.date.max).values("project_id", "as_of", "next_due", *fields):
        by_day.setdefault(row.pop("as_of"), {})[row.pop("project_id")] = row
    wrong = []
    for day, stored in by_day.items():
        computed = _computed(list(stored), day)
        wrong += [
            pk for pk, kept in stored.items() if any(kept[key] != computed[pk][key] for key in (*fields, "next_due"))
        ]
    return sorted(wrong)


# --- Signals ---------------------------------------------------------------------------------------

_WATCHED = (TimeEntry, Expense, BudgetLine, StatusUpdate)


def _moving(sender: type[Any], instance: Any, raw: bool = False, update_fields: Any = None, **_: Any) -> None:
    # A row saved again may have moved to another project (the admin's change form allows it): the project it
    # left is refreshed too. One query, only for a row already stored whose project may have changed.
    if raw or instance._state.adding or (update_fields is not None and not {"project", "project_id"} & update_fields):
        return
    left = sender._default_manager.filter(pk=instance.pk).values_list("project_id", flat=True).first()
    if left is not None and left != instance.project_id:
        instance._figures_left = left


def _saved(sender: type[Any], instance: Any, raw: bool = False, **_: Any) -> None:
    if raw:
        # A fixture being loaded (loaddata): nothing else of the app can be read yet, so the project's row is
        # dropped rather than written; its readers add up its rows until refresh_due writes it again.
        ProjectFigures.objects.filter(project_id=instance.project_id).delete()
        return
    refresh([instance.project_id, instance.__dict__.pop("_figures_left", None)])


def _deleted(sender: type[Any], instance: Any, origin: Any = None, **_: Any) -> None:
    # Deleted with its project (or the project's client): the project's row goes with it.
    started = origin.model if isinstance(origin, QuerySet) else type(origin)
    if origin is not None and started is not sender:
        return
    # Django deletes a model's rows in one statement and then signals each: once a delete of many rows (an
    # admin's "delete selected") has refreshed a project, its other rows need nothing more.
    done: set[int] = origin.__dict__.setdefault("_figures_refreshed", set()) if origin is not None else set()
    if instance.project_id not in done:
        done.add(instance.project_id)
        refresh([instance.project_id])


def _project_saved(
    sender: type[Any], instance: Project, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    # A row from the start, so that readers never add up a new project's rows; its BAC (and so its forecast)
    # may have changed since. A save of named fields without the BAC (a status update setting the RAG) leaves
    # the figures as they are.
    if not raw and (update_fields is None or "bac" in update_fields):
        refresh([instance.pk])


def _budget_changed(
    sender: type[Any], instance: ProjectBudget, raw: bool = False, origin: Any = None, **_: Any
) -> None:
    # The cost basis and the bottom-up estimate change the forecast; deleted with its project, nothing to do.
    started = origin.model if isinstance(origin, QuerySet) else type(origin)
    if not raw and (origin is None or started is ProjectBudget):
        refresh([instance.project_id])


def connect() -> None:
    """Connect the receivers (``ProjectsConfig.ready``)."""
    post_save.connect(_project_saved, sender=Project, dispatch_uid="figures-project-saved")
    post_save.connect(_budget_changed, sender=ProjectBudget, dispatch_uid="figures-budget-saved")
    post_delete.connect(_budget_changed, sender=ProjectBudget, dispatch_uid="figures-budget-deleted")
    for model in _WATCHED:
        pre_save.connect(_moving, sender=model, dispatch_uid=f"figures-moving-{model.__name__}")
        post_save.connect(_saved, sender=model, dispatch_uid=f"figures-saved-{model.__name__}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"figures-deleted-{model.__name__}")
