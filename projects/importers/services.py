"""The portfolio import: external portfolio files into Departments, Clients, Projects and StatusUpdates.

``portfolio_import`` loads portfolio files read by a mapping
(``projects.importers.mapping``: which column holds which field, in which
unit, date format and rating scale) into Departments, Clients, Projects and
StatusUpdates; ``portfolio_import_gmpp`` is the same with the built-in GMPP
preset. The rules, in one place:

* The rule for partial failure (also in the README and the command's help):
  row by row. Each row is imported or refused on its own, each refused row
  listed with its file, physical start line and reason: one the parser
  rejects (a short row, a date or amount that is not one), one whose values a
  model refuses (``apm.validation``: a name over 300 characters, a project
  number that cannot be a project code), or one the database refuses. A file
  the reader cannot read (``apm.tabular``: bytes not in its encoding, a quoted
  cell never closed, no header) or that lacks a required column
  (``project_name``, ``department``) is refused whole, and nothing of it is
  imported; the other files are imported all the same. ``strict=True``: the
  first refused file or row stops the import and nothing at all is written.
  ``dry_run=True``: everything is read, checked and written inside a
  transaction that is then rolled back; the summary is the same.
* Rows are imported oldest year first (then by file name and line), whatever
  order the files were given in; each row in its own transaction.
* One project across years is one Project, matched (1) by project number
  (``Project.reference``, upper-cased), else (2) by ``StatusUpdate.source_key``
  ("department codes|normalised name", e.g. ``"DFT|lower thames crossing"``,
  or ``"client:<name>|name"`` for a row without departments) of any of its
  earlier updates, else (3, mappings other than the GMPP's) by its name and
  client, or name and one of its departments. A numbered row may take over a project found
  by (2) that has no number yet (its ``reference`` is set) or whose number
  differs only in the department prefix (``DH_0017_1112-Q1`` became
  ``DOH_0017_1112-Q1`` in 2021). Matching on the stored key, not on the
  project's current name and departments, keeps a re-import stable when a
  project was renamed or moved department in a later year.
* ``Project.code`` is the project number when known, else
  ``<LEAD DEPT>-<NAME SLUG>-<hash>`` derived from the key (stable across
  runs). When a number arrives later the code becomes the number.
* Each row with figures is one StatusUpdate, unique per project and ``as_of``
  (the date the file's data stands at: a column, the mapping's date, or for
  the GMPP ``gmpp.as_of_for_year``); ``source`` ``<label>-<year>`` (e.g.
  ``gmpp-2021``), ``period_label`` ``<Label> <year>``; without a year the
  date. ``rating_source`` says whether the rating is the IPA's or (2022, no
  IPA rating) the SRO's.
* Project fields come from the latest year (a row whose as-of date is not
  older than any of the project's updates): name, departments, client,
  category, description, start and end dates (blank or withheld values do not
  overwrite known ones). ``Project.bac`` is the latest known whole-life cost
  and ``Project.rag`` the RAG of the latest update, both read back from the
  stored updates so that they do not depend on import order.
* One Department per code (upper case; full name from ``DEPARTMENT_NAMES``
  when known; a cell may also give a department's name) and, for the GMPP,
  one Client per department, ``"UK Government — <CODE>"``; a project with
  several departments belongs to its first (lead) one's client. Other
  mappings take the client from a column or the mapping.
* Who imports: the command runs as nobody in particular and may create
  departments and clients. In the browser (``user`` given, who has
  ``access.import_data``) the rules of the project form hold: only an
  administrator creates departments and clients (others get the row refused,
  naming the missing one); a matched project is updated only with
  ``access.edit_project`` and its client changed only with
  ``access.change_client``; a new project must be one the user can see.
* A project's currency is set when it is created (the mapping's); a row with
  amounts in another currency than a matched project's is refused.
* Values are compared before saving: running the same import twice writes
  nothing and counts everything as unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.text import slugify

from apm import access, validation
from apm.errors import Refused
from projects.budget import figures
from projects.importers import gmpp
from projects.importers.gmpp import GmppFormatError, RowError
from projects.importers.mapping import GMPP, Mapping, Record, parse_record
from projects.models import Client, Project, StatusUpdate
from teams.models import Department

if TYPE_CHECKING:
    from apm.accounts.models import User

__all__ = [
    "DEPARTMENT_NAMES",
    "GmppFormatError",
    "ImportSummary",
    "RefusedFile",
    "SkippedRow",
    "portfolio_import",
    "portfolio_import_gmpp",
]

DEPARTMENT_NAMES: dict[str, str] = {
    "BEIS": "Department for Business, Energy and Industrial Strategy",
    "CO": "Cabinet Office",
    "DCMS": "Department for Digital, Culture, Media and Sport",
    "DEFRA": "Department for Environment, Food and Rural Affairs",
    "DFE": "Department for Education",
    "DFID": "Department for International Development",
    "DFT": "Department for Transport",
    "DHSC": "Department of Health and Social Care",
    "DLUHC": "Department for Levelling Up, Housing and Communities",
    "DWP": "Department for Work and Pensions",
    "FCDO": "Foreign, Commonwealth and Development Office",
    "FCO": "Foreign and Commonwealth Office",
    "HMLR": "HM Land Registry",
    "HMRC": "HM Revenue and Customs",
    "HMT": "HM Treasury",
    "HO": "Home Office",
    "MHCLG": "Ministry of Housing, Communities and Local Government",
    "MOD": "Ministry of Defence",
    "MOJ": "Ministry of Justice",
    "NCA": "National Crime Agency",
    "ONS": "Office for National Statistics",
}

Progress = Callable[[int, int], None]

_UPDATE_FIELDS = (
    "period_label",
    "source",
    "source_key",
    "rating_published",
    "rating_note",
    "rating_source",
    "rag",
    "commentary_overall",
    "commentary_schedule",
    "commentary_budget",
    "budget_period",
    "forecast_period",
    "whole_life_cost",
    "percent_complete",
    "withheld",
)


@dataclass(frozen=True)
class SkippedRow:
    """A row that was not imported: file, physical line where it starts, and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.reason}"


@dataclass(frozen=True)
class RefusedFile:
    """A file of which nothing was imported, and why (the reason names the line when there is one)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: refused, nothing imported: {self.reason.removeprefix(self.path + ': ')}"


class _Stop(Exception):
    """Strict mode: the first refusal rolls the whole import back."""


@dataclass
class ImportSummary:
    """What an import did. ``rows`` counts data rows read (imported + skipped) in the files read.

    ``files`` are the files read, ``encodings`` their encoding as named by
    ``apm.tabular``, ``refused_files`` the files of which nothing was
    imported. ``stopped`` (strict mode) says that nothing at all was written.
    """

    files: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    refused_files: list[RefusedFile] = field(default_factory=list)
    stopped: bool = False
    rows: int = 0
    rows_per_file: dict[str, int] = field(default_factory=dict)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    departments_created: int = 0
    clients_created: int = 0
    projects_created: int = 0
    projects_updated: int = 0
    projects_unchanged: int = 0
    updates_created: int = 0
    updates_updated: int = 0
    updates_unchanged: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    mapping: Mapping = GMPP

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(
            self.departments_created
            or self.clients_created
            or self.projects_created
            or self.projects_updated
            or self.updates_created
            or self.updates_updated
        )

    @property
    def refused(self) -> bool:
        """Whether any file or row was refused."""
        return bool(self.refused_files or self.skipped)

    def __str__(self) -> str:
        lines = [
            f"Files: {len(self.files)}; rows: {self.rows}; skipped: {len(self.skipped)}",
            f"Projects: {self.projects_created} created, {self.projects_updated} updated, "
            f"{self.projects_unchanged} unchanged",
            f"Status updates: {self.updates_created} created, {self.updates_updated} updated, "
            f"{self.updates_unchanged} unchanged",
            f"Departments created: {self.departments_created}; clients created: {self.clients_created}",
        ]
        skipped_per_file: dict[str, int] = {}
        for row in self.skipped:
            skipped_per_file[row.path] = skipped_per_file.get(row.path, 0) + 1
        for path in self.files:
            rows, refused = self.rows_per_file.get(path, 0), skipped_per_file.get(path, 0)
            lines.append(f"{path}: {self.encodings[path]}; {rows - refused} of {rows} rows imported")
        lines.extend(str(refused_file) for refused_file in self.refused_files)
        for path, columns in self.ignored_columns.items():
            lines.append(f"Ignored columns in {path}: {', '.join(columns)}")
        if self.skipped:
            lines.append("Skipped rows:")
            lines.extend(f"  {row}" for row in self.skipped)
        if self.stopped:
            lines.append("Stopped at the first refusal (--strict): nothing was written.")
        return "\n".join(lines)


@dataclass
class _Pending:
    path: str
    line: int
    record: Record


class _Known:
    """What the import knows of the stored projects, kept in step with its own writes, so that finding a row's
    project, its departments and its updates costs no query once the project has been seen.

    Loaded in two queries: each project's id by number (``Project.reference``, unique) and by the source keys
    of its status updates. Then, for a project a row has touched: the project itself (the one instance every
    later row of it changes and saves), its departments' ids, and its updates' ``as_of -> (rag, whole-life
    cost)``. A row that is rolled back leaves these unlike the database: :meth:`undo` takes back what the row
    added to the indexes and forgets what it knew of the projects it touched (loaded again when a later row
    needs them). Measured on the five GMPP years on PostgreSQL: 7,704 queries, a third of them finding what an
    earlier row had written.
    """

    def __init__(self) -> None:
        self.by_reference: dict[str, int] = {
            reference: pk
            for reference, pk in Project.objects.exclude(reference=None).values_list("reference", "pk")
            if reference
        }
        self.by_key: dict[str, set[int]] = {}
        for key, pk in StatusUpdate.objects.exclude(source_key="").values_list("source_key", "project_id"):
            self.by_key.setdefault(key, set()).add(pk)
        self.projects: dict[int, Project] = {}
        self.departments: dict[int, set[int]] = {}
        self.histories: dict[int, dict[dt.date, tuple[str, Any]]] = {}
        # The current row's: the projects it touched, and how to take back what it added to the indexes.
        self._touched: set[int] = set()
        self._undo: list[Callable[[], None]] = []

    def begin(self) -> None:
        """A row starts: what it changes is noted, to be taken back if it is rolled back."""
        self._touched.clear()
        self._undo.clear()

    def undo(self) -> None:
        """The row was rolled back: the indexes as before it, its projects forgotten (loaded again on demand)."""
        for take_back in reversed(self._undo):
            take_back()
        for pk in self._touched:
            self.projects.pop(pk, None)
            self.departments.pop(pk, None)
            self.histories.pop(pk, None)
        self.begin()

    def project(self, pk: int) -> Project | None:
        """Project ``pk``, or None when it is gone (deleted while the import ran)."""
        found = self.projects.get(pk)
        if found is None:
            found = Project.objects.filter(pk=pk).first()
            if found is None:
                return None
            self.projects[pk] = found
        self._touched.add(pk)
        return found

    def add_key(self, key: str, pk: int) -> None:
        """Project ``pk`` has an update of source key ``key`` now."""
        pks = self.by_key.setdefault(key, set())
        if pk not in pks:
            pks.add(pk)
            self._undo.append(lambda: pks.discard(pk))

    def drop_key(self, key: str, pk: int) -> None:
        """Project ``pk`` has no update of source key ``key`` any more."""
        pks = self.by_key.get(key, set())
        if pk in pks:
            pks.discard(pk)
            self._undo.append(lambda: pks.add(pk))

    def _refer(self, reference: str, pk: int | None) -> None:
        before = self.by_reference.get(reference)
        if pk is None:
            self.by_reference.pop(reference, None)
        else:
            self.by_reference[reference] = pk

        def take_back() -> None:
            if before is None:
                self.by_reference.pop(reference, None)
            else:
                self.by_reference[reference] = before

        self._undo.append(take_back)

    def with_key(self, key: str) -> list[Project]:
        """The projects with an update of source key ``key``, by code (the database's order of codes)."""
        pks: Iterable[int] = self.by_key.get(key, set())
        if len(self.by_key.get(key, ())) > 1:
            pks = list(Project.objects.filter(pk__in=pks).order_by("code").values_list("pk", flat=True))
        return [project for project in map(self.project, pks) if project is not None]

    def created(self, project: Project) -> None:
        """``project`` was just saved new: no departments, no updates."""
        self.projects[project.pk] = project
        self.departments[project.pk] = set()
        self.histories[project.pk] = {}
        self._touched.add(project.pk)
        if project.reference:
            self._refer(project.reference, project.pk)

    def numbered(self, project: Project, old: str | None) -> None:
        """``project``'s number changed from ``old`` (saved)."""
        if old and self.by_reference.get(old) == project.pk:
            self._refer(old, None)
        if project.reference:
            self._refer(project.reference, project.pk)

    def department_ids(self, project: Project) -> set[int]:
        found = self.departments.get(project.pk)
        if found is None:
            found = self.departments[project.pk] = set(project.departments.values_list("pk", flat=True))
        return found

    def history(self, project: Project) -> dict[dt.date, tuple[str, Any]]:
        """``as_of -> (rag, whole_life_cost)`` of ``project``'s stored updates (the caller adds what it writes)."""
        found = self.histories.get(project.pk)
        if found is None:
            stored = project.status_updates.values_list("as_of", "rag", "whole_life_cost")
            found = self.histories[project.pk] = {row[0]: row[1:] for row in stored}
        return found


@dataclass
class _Tally:
    created: set[int] = field(default_factory=set)
    updated: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)
    # Per-run caches by code; emptied when a row is rolled back.
    departments: dict[str, Department] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    mapping: Mapping = GMPP
    user: User | None = None
    # The stored projects as this run knows them (_Known), loaded on first use.
    known_projects: _Known | None = None

    @property
    def known(self) -> _Known:
        if self.known_projects is None:
            self.known_projects = _Known()
        return self.known_projects


def source_key(record: Record) -> str:
    """``"DEFRA+DFT|project name"``: the record's departments (sorted) and normalised name; without departments
    ``"client:<client name>|project name"``."""
    owner = "+".join(sorted(record.departments)) or f"client:{gmpp.normalise_name(record.client)}"
    return f"{owner}|{gmpp.normalise_name(record.name)}"[:400]


def derived_code(record: Record) -> str:
    """A code for a project without a number: ``MOD-MARITIME-PATROL-AIR-1a2b3c4d`` (at most 40 chars)."""
    digest = hashlib.sha1(source_key(record).encode(), usedforsecurity=False).hexdigest()[:8]
    slug = slugify(record.name).upper()[:20].strip("-") or "PROJECT"
    owner = record.departments[0] if record.departments else slugify(record.client).upper()
    return f"{owner[:9].strip('-') or 'P'}-{slug}-{digest}"


def _same_number(a: str | None, b: str | None) -> bool:
    """Whether two project numbers differ at most in their department prefix (``DH_0017_…`` / ``DOH_0017_…``)."""
    if not a or not b:
        return False
    return a == b or ("_" in a and "_" in b and a.split("_", 1)[1] == b.split("_", 1)[1])


def _read_files(
    paths: Iterable[Path | str], summary: ImportSummary, *, mapping: Mapping, encoding: str | None, strict: bool
) -> list[_Pending]:
    unique: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path not in unique:
            unique.append(path)
    files: list[gmpp.GmppFile] = []
    for path in unique:
        try:
            read = gmpp.read_file(
                path, encoding=encoding or mapping.encoding or None, fallback=mapping.fallback or None
            )
        except GmppFormatError as exc:
            summary.refused_files.append(RefusedFile(str(path), str(exc)))
        else:
            missing = mapping.missing(read.header.columns)
            if not missing:
                files.append(read)
                continue
            summary.refused_files.append(
                RefusedFile(
                    str(path),
                    f"required column(s) missing: {', '.join(missing)} (the header has: "
                    f"{', '.join(read.header.columns) or 'nothing'})",
                )
            )
        if strict:
            raise _Stop

    pending: list[_Pending] = []
    for read in sorted(files, key=lambda f: (gmpp.year_from_filename(f.path) or 0, Path(f.path).name, f.path)):
        header, name = read.header, read.path
        summary.files.append(name)
        summary.encodings[name] = read.encoding
        ignored = mapping.ignored(header.columns)
        if ignored:
            summary.ignored_columns[name] = ignored
        default_year = gmpp.year_from_filename(name) if mapping.as_of_from_year else None
        for line, row in read.rows:
            try:
                record = parse_record(row, columns=header.columns, mapping=mapping, default_year=default_year)
            except RowError as exc:
                summary.skipped.append(SkippedRow(name, line, str(exc)))
                if strict:
                    raise _Stop from exc
                continue
            pending.append(_Pending(name, line, record))
        summary.rows_per_file[name] = len(read.rows)
        summary.rows += len(read.rows)
    # Oldest first so that the latest figures win, whatever order the files came in; rows without a date in
    # file order.
    pending.sort(
        key=lambda p: (
            (p.record.year or 0, p.record.as_of or dt.date.min, Path(p.path).name, p.path, p.line)
            if mapping.as_of_from_year
            else (p.record.as_of or dt.date.min, Path(p.path).name, p.path, p.line)
        )
    )
    return pending


def _may_create(tally: _Tally) -> bool:
    return tally.user is None or access.administer.allows(tally.user)


def _department(text: str, summary: ImportSummary, tally: _Tally) -> Department:
    """The department whose code (else name) is ``text``; created (code ``text``) when the importer may."""
    code = text.upper()
    department = tally.departments.get(code)
    if department is None:
        department = (
            Department.objects.filter(code__iexact=code).first()
            or Department.objects.filter(name__iexact=" ".join(text.split())).first()
        )
    if department is None:
        if not _may_create(tally):
            raise RowError(f"no department {text!r}; an administrator can add it, or import the file")
        department = validation.create(Department, code=code, name=DEPARTMENT_NAMES.get(code, code))
        summary.departments_created += 1
    tally.departments[code] = department
    return department


def _client(name: str, summary: ImportSummary, tally: _Tally) -> Client:
    key = gmpp.normalise_name(name)
    client = tally.clients.get(key)
    if client is None:
        client = Client.objects.filter(name__iexact=name).first()
        if client is None:
            if not _may_create(tally):
                raise RowError(f"no client {name!r}; an administrator can add it, or import the file")
            validation.clean(Client(name=name))
            client, created = Client.objects.get_or_create(name=name)
            summary.clients_created += int(created)
        tally.clients[key] = client
    return client


def _find_project(
    record: Record,
    key: str,
    *,
    mapping: Mapping,
    client: Client | None,
    departments: list[Department],
    known: _Known,
) -> Project | None:
    if record.reference:
        pk = known.by_reference.get(record.reference)
        found = known.project(pk) if pk is not None else None
        if found is not None:
            return found
    for project in known.with_key(key):
        if not record.reference or project.reference is None or _same_number(project.reference, record.reference):
            return project
    if mapping.match_by_name:
        owner = Q(client=client) if client is not None else Q(departments__in=departments)
        named = Project.objects.filter(owner, name__iexact=record.name).distinct().order_by("code")
        for project in named:
            if not record.reference or project.reference is None:
                return known.project(project.pk) or project
    return None


def _check_access(project: Project, *, created: bool, client_changes: bool, tally: _Tally) -> None:
    """The project form's rules for a browser import (``tally.user``); the command has none."""
    user = tally.user
    if user is None:
        return
    if created:
        if not access.see_project.allows(user, project):
            codes = ", ".join(project.departments.values_list("code", flat=True)) or "none"
            raise RowError(f"you head none of this project's departments ({codes}): you could not see it once imported")
        return
    if not access.edit_project.allows(user, project):
        raise RowError(f"project {project.code} exists and you may not edit it")
    if client_changes and not access.change_client.allows(user, project):
        raise RowError(f"only an administrator or a head of its departments may change project {project.code}'s client")


def _labels(record: Record, mapping: Mapping) -> tuple[str, str]:
    """(period label, source) of a record's status update: ``("GMPP 2021", "gmpp-2021")``."""
    label = mapping.label or mapping.name
    when = str(record.year) if record.year and mapping.as_of_from_year else (record.as_of or dt.date.min).isoformat()
    return f"{label} {when}"[:60], f"{slugify(label)[:40] or 'import'}-{when}"[:60]


def _write_record(
    item: _Pending, summary: ImportSummary, tally: _Tally, seen: dict[tuple[int, object], _Pending]
) -> None:
    record, mapping = item.record, tally.mapping
    key = source_key(record)
    as_of = record.as_of
    departments = [_department(code, summary, tally) for code in record.departments]
    client = _client(record.client, summary, tally) if record.client else None

    known = tally.known
    project = _find_project(record, key, mapping=mapping, client=client, departments=departments, known=known)
    created = project is None
    if project is None:
        project = Project(
            code=record.reference or derived_code(record),
            reference=record.reference,
            name=record.name,
            currency=mapping.currency,
        )
        validation.clean(project)
        project.save()
        known.created(project)
    elif as_of is not None and (project.pk, as_of) in seen:
        earlier = seen[(project.pk, as_of)]
        raise RowError(
            f"same project ({project.code}) and as-of date {as_of} as {earlier.path}, line {earlier.line}; "
            "the first row was kept"
        )
    elif project.currency != mapping.currency and _has_money(record):
        raise RowError(f"the amounts are in {mapping.currency}; project {project.code} is kept in {project.currency}")
    if as_of is not None:
        seen[(project.pk, as_of)] = item

    # as_of -> (rag, whole-life cost) of the project's stored updates, this row's added below.
    history = known.history(project)
    is_latest = as_of is None or all(other <= as_of for other in history)
    changes: dict[str, object] = {}
    takes_number = project.reference is None or is_latest
    if record.reference and project.reference != record.reference and takes_number:
        changes["reference"] = record.reference
        changes["code"] = record.reference
    if not created:
        moves = is_latest and client is not None and project.client_id != client.pk
        _check_access(project, created=False, client_changes=moves, tally=tally)
    if is_latest:
        wanted: dict[str, object] = {"name": record.name}
        if client is not None:
            wanted["client_id"] = client.pk
        for name in ("category", "description", "start_date", "end_date"):
            value = getattr(record, name)
            if value not in (None, ""):
                wanted[name] = value
        changes.update({name: value for name, value in wanted.items() if getattr(project, name) != value})
        if departments and {d.pk for d in departments} != known.department_ids(project):
            if created:  # no link to keep or remove: one insert (set() reads them twice first)
                links = Project.departments.through
                links.objects.bulk_create(
                    links(project_id=project.pk, department_id=pk) for pk in dict.fromkeys(d.pk for d in departments)
                )
            else:
                project.departments.set(departments)
            known.departments[project.pk] = {d.pk for d in departments}
            tally.updated.add(project.pk)

    if as_of is not None:
        _write_update(project, record, as_of, summary, known=known, stored=as_of in history)
        # From all the project's stored updates: independent of the order rows arrived in.
        history[as_of] = (record.rag, record.whole_life_cost)
        dates = sorted(history, reverse=True)
        rag = history[dates[0]][0]
        bac = next((history[d][1] for d in dates if history[d][1] is not None), None)
        if project.rag != rag:
            changes["rag"] = rag
        if project.bac != bac:
            changes["bac"] = bac
    if changes:
        old_reference = project.reference
        for name, value in changes.items():
            setattr(project, name, value)
        validation.clean(project, fields=changes)
        project.save(update_fields=[*changes, "updated_at"])
        if "reference" in changes:
            known.numbered(project, old_reference)
        if not created:
            tally.updated.add(project.pk)
    if created:
        _check_access(project, created=True, client_changes=False, tally=tally)
        tally.created.add(project.pk)
    tally.touched.add(project.pk)


def _has_money(record: Record) -> bool:
    return any(v is not None for v in (record.budget_period, record.forecast_period, record.whole_life_cost))


def _write_update(
    project: Project, record: Record, as_of: dt.date, summary: ImportSummary, *, known: _Known, stored: bool
) -> None:
    """Create or update ``project``'s update of ``as_of`` (``stored``: one exists) from ``record``."""
    period_label, source = _labels(record, summary.mapping)
    # Field values of the status update (the model's keyword arguments).
    values: dict[str, Any] = {
        "period_label": period_label,
        "source": source,
        "source_key": source_key(record),
        "rating_published": record.rating_published,
        "rating_note": record.rating_note,
        "rating_source": record.rating_source,
        "rag": record.rag,
        "commentary_overall": record.commentary_overall,
        "commentary_schedule": record.commentary_schedule,
        "commentary_budget": record.commentary_budget,
        "budget_period": record.budget_period,
        "forecast_period": record.forecast_period,
        "whole_life_cost": record.whole_life_cost,
        "percent_complete": record.percent_complete,
        "withheld": record.withheld,
    }
    update = StatusUpdate.objects.filter(project=project, as_of=as_of).first() if stored else None
    if update is None:
        validation.create(StatusUpdate, project=project, as_of=as_of, **values)
        known.add_key(values["source_key"], project.pk)
        summary.updates_created += 1
        return
    old_key = update.source_key
    dirty = [name for name in _UPDATE_FIELDS if getattr(update, name) != values[name]]
    if dirty:
        for name in dirty:
            setattr(update, name, values[name])
        validation.clean(update, fields=dirty)
        update.save(update_fields=dirty)
        summary.updates_updated += 1
        if update.source_key != old_key:
            # The old key leads here no longer unless another of the project's updates has it.
            known.add_key(update.source_key, project.pk)
            if not StatusUpdate.objects.filter(project=project, source_key=old_key).exists():
                known.drop_key(old_key, project.pk)
    else:
        summary.updates_unchanged += 1


def portfolio_import(
    *,
    paths: Iterable[Path | str],
    mapping: Mapping,
    user: User | None = None,
    progress: Progress | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    """Import portfolio files read by ``mapping`` (see the module docstring for the rules); return what was done.

    ``paths``: the files (CSV, tab-separated or XLSX), in any order. ``user``: who imports in the browser
    (the project form's rules apply); None for the command. ``encoding`` replaces the mapping's and the
    detection (a byte-order mark still wins). ``progress(done, total)`` is called after each data row is
    handled. Nothing raises for bad input: refused files are listed in ``ImportSummary.refused_files``,
    refused rows in ``ImportSummary.skipped``. ``strict``: the first refusal stops the import and nothing is
    written (``ImportSummary.stopped``). ``dry_run``: nothing is written, the summary is what the import
    would have done.
    """
    summary = ImportSummary(mapping=mapping)
    try:
        with transaction.atomic():
            # The projects' kept figures are written once for all the rows, at the end, not once a row.
            with figures.deferred():
                _import(summary, paths=paths, user=user, progress=progress, encoding=encoding, strict=strict)
            if dry_run:
                transaction.set_rollback(True)
    except _Stop:
        # Rolled back: nothing the counters say was written stayed.
        summary.stopped = True
        summary.departments_created = summary.clients_created = 0
        summary.projects_created = summary.projects_updated = summary.projects_unchanged = 0
        summary.updates_created = summary.updates_updated = summary.updates_unchanged = 0
    summary.skipped.sort(key=lambda s: (Path(s.path).name, s.path, s.line))
    return summary


def portfolio_import_gmpp(
    *,
    paths: Iterable[Path | str],
    progress: Progress | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    """Import GMPP annual data files: ``portfolio_import`` with the built-in GMPP preset."""
    return portfolio_import(
        paths=paths, mapping=GMPP, progress=progress, encoding=encoding, strict=strict, dry_run=dry_run
    )


def _import(
    summary: ImportSummary,
    *,
    paths: Iterable[Path | str],
    user: User | None,
    progress: Progress | None,
    encoding: str | None,
    strict: bool,
) -> None:
    pending = _read_files(paths, summary, mapping=summary.mapping, encoding=encoding, strict=strict)
    tally = _Tally(mapping=summary.mapping, user=user)
    seen: dict[tuple[int, object], _Pending] = {}
    total = len(pending)
    for done, item in enumerate(pending, start=1):
        counts = (
            summary.departments_created,
            summary.clients_created,
            summary.updates_created,
            summary.updates_updated,
            summary.updates_unchanged,
        )
        snapshot = (set(tally.created), set(tally.updated), set(tally.touched), dict(seen))
        tally.known.begin()
        try:
            with transaction.atomic():
                _write_record(item, summary, tally, seen)
        except (RowError, Refused, DatabaseError) as exc:
            # The row's transaction is rolled back: forget what it counted.
            (
                summary.departments_created,
                summary.clients_created,
                summary.updates_created,
                summary.updates_updated,
                summary.updates_unchanged,
            ) = counts
            tally.created, tally.updated, tally.touched, seen = snapshot
            tally.departments.clear()
            tally.clients.clear()
            if tally.known_projects is not None:
                tally.known_projects.undo()  # what the row added, and its projects as it left them
            reason = f"the database refused the row: {exc}" if isinstance(exc, DatabaseError) else str(exc)
            summary.skipped.append(SkippedRow(item.path, item.line, reason))
            if strict:
                raise _Stop from exc
        if progress is not None:
            progress(done, total)
    summary.projects_created = len(tally.created)
    summary.projects_updated = len(tally.updated - tally.created)
    summary.projects_unchanged = len(tally.touched - tally.created - tally.updated)
