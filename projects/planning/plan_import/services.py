"""Writes of a plan import: a supplier's plan uploaded and kept for its preview, then imported on confirmation.

``plan_upload`` reads the file (``projects.planning.plan_import.reading``) and keeps the plan read, as JSON, in
the private file store (``PRIVATE_MEDIA_ROOT/plan-imports/``, one file per project, user and token); the
preview page reads it back (``selectors.plan_stored``). ``plan_import`` claims the stored plan by renaming
its file, which only one request can do, so a double submit imports it once; then, in one transaction,
creates the deliverables (``projects.delivery.services.deliverable_create``) and the tasks
(``projects.planning.services.task_create``), each after its predecessors and linked to them, each write
with its history entry. A refusal on the way rolls everything back and gives the stored plan back for another try.
Stored plans older than :data:`KEEP_HOURS` are removed when a plan is uploaded.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from apm import access, uploads
from apm.errors import Refused
from projects.delivery.services import deliverable_create
from projects.models import Deliverable, Project, Task
from projects.planning import services as task_services
from projects.planning.plan_import import reading
from projects.planning.plan_import.outline import Plan, PlanTask
from projects.planning.plan_import.selectors import resource_key, stored_path, team_by_name

if TYPE_CHECKING:
    from apm.accounts.models import User

#: Hours a stored plan waits for its confirmation.
KEEP_HOURS = 24


@dataclass(frozen=True)
class PlanImported:
    """What an import created: deliverables, tasks, finish-to-start links, and assignments."""

    deliverables: int
    tasks: int
    links: int
    assignments: int


def _require(user: User, project: Project) -> None:
    access.edit_tasks.require(
        user,
        project,
        "Only the project's team, its project manager, a head of its departments or an administrator "
        "may import a plan into its tasks.",
    )


def _sweep(folder: Path) -> None:
    """Remove stored plans older than ``KEEP_HOURS``, with what a request that died left behind (a plan being
    written, ``.tmp``, or claimed, ``.importing``)."""
    cutoff = time.time() - KEEP_HOURS * 3600
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue  # removed meanwhile by another request


def _xlsx_policy() -> uploads.UploadPolicy:
    return uploads.UploadPolicy(
        what="plan",
        accepted=(uploads.XLSX,),
        accepted_text="an MS Project XML file, a CSV file or an Excel workbook (.xlsx)",
        max_bytes=reading.MAX_PLAN_BYTES,
        check_extension=False,
    )


def plan_upload(*, project: Project, user: User, upload: UploadedFile) -> str:
    """Read ``upload`` as a plan and keep it for its preview; returns the token naming it.

    Raises ``Refused`` (nothing kept) unless ``user`` may edit the project's tasks, and for a file that is
    too large, not a plan (see ``reading.read_plan``: XML with a DTD or entities, malformed XML, another root,
    a broken date, a task list without a name column, a loop of links) or a ZIP file that is not a workbook.
    """
    _require(user, project)
    name = (upload.name or "plan").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    if (upload.size or 0) > reading.MAX_PLAN_BYTES:
        raise uploads.UploadRefused(
            f"The file “{name}” is {(upload.size or 0) / 1048576:.1f} MB; a plan may be "
            f"{reading.MAX_PLAN_BYTES // 1048576} MB at most. Nothing was imported."
        )
    upload.seek(0)
    if upload.read(4).startswith(b"PK"):
        uploads.upload_check(upload, _xlsx_policy())
    upload.seek(0)
    plan = reading.read_plan(upload.read(reading.MAX_PLAN_BYTES + 1), name=name)
    token = secrets.token_urlsafe(16)
    path = stored_path(project=project, user=user, token=token)
    assert path is not None  # noqa: S101  (token_urlsafe(16) is 22 URL-safe characters)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path.parent)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"project": project.pk, "user": user.pk, "plan": plan.to_dict()}))
    partial.replace(path)
    return token


def _in_link_order(rows: list[PlanTask]) -> list[PlanTask]:
    """``rows`` with each after its predecessors, otherwise in the file's order (the plan has no loop)."""
    by_key = {row.key: row for row in rows}
    placed: set[str] = set()
    order: list[PlanTask] = []
    for row in rows:
        stack = [(row, iter(row.predecessors))]
        while stack:
            current, pending = stack[-1]
            following = next((key for key in pending if key not in placed), None)
            if following is None:
                stack.pop()
                if current.key not in placed:
                    placed.add(current.key)
                    order.append(current)
            else:
                stack.append((by_key[following], iter(by_key[following].predecessors)))
    return order


def _create(project: Project, user: User, plan: Plan) -> PlanImported:
    team = team_by_name(project)
    deliverables: dict[str, Deliverable] = {}
    if access.edit_project.allows(user, project):
        for item in plan.deliverables:
            assert item.finish is not None  # noqa: S101  (reading gives every deliverable a finish)
            deliverables[item.key] = deliverable_create(
                project=project,
                user=user,
                name=item.name,
                due_date=item.finish,
                start_date=item.start if item.start and item.start <= item.finish else None,
                description=f"Imported from the plan “{plan.source}”.",
            )
    tasks: dict[str, Task] = {}
    assignments = links = 0
    for row in _in_link_order(plan.tasks):
        people = list({team[key].pk: team[key] for r in row.resources if (key := resource_key(r)) in team}.values())
        assignments += len(people)
        links += len(row.predecessors)
        tasks[row.key] = task_services.task_create(
            project=project,
            user=user,
            title=row.name,
            description=row.notes,
            deliverable=deliverables.get(row.deliverable or ""),
            assignees=people,
            estimate_hours=row.hours,
            start_date=row.start,
            due_date=row.finish,
            depends_on=[tasks[key] for key in row.predecessors],
        )
    return PlanImported(deliverables=len(deliverables), tasks=len(tasks), links=links, assignments=assignments)


def plan_import(*, project: Project, user: User, token: str) -> PlanImported:
    """Create what the stored plan ``token`` holds (see the module docstring), once.

    Raises ``Refused`` unless ``user`` may edit the project's tasks, when the plan was imported already or
    is no longer kept (older than ``KEEP_HOURS``, or never uploaded by this user for this project), and for
    a value a service refuses (nothing is created then, and the plan stays for another try). Deliverables
    are created only when ``user`` may add them (``access.edit_project``); otherwise the tasks are created
    without one.
    """
    _require(user, project)
    path = stored_path(project=project, user=user, token=token)
    claimed = path.with_suffix(".importing") if path else None
    try:
        if path is None or claimed is None:
            raise FileNotFoundError(token)
        path.rename(claimed)
    except FileNotFoundError as exc:
        raise Refused(
            "This plan has been imported already, or its preview is no longer kept (over a day old); nothing "
            "more was created. Upload the file again to import it."
        ) from exc
    try:
        plan = Plan.from_dict(json.loads(claimed.read_text())["plan"])
        with transaction.atomic():
            result = _create(project, user, plan)
    except BaseException:
        claimed.rename(path)
        raise
    claimed.unlink(missing_ok=True)
    return result
