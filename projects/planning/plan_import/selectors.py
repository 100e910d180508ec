"""Reads of a plan import: the stored plan of a preview, and what its import would create (two queries)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from apm import access
from projects.models import Project, Task
from projects.planning.forms import team_of
from projects.planning.plan_import.outline import Plan, PlanDeliverable
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def resource_key(name: str) -> str:
    """How a resource name is matched to a team member's: without case or extra spaces."""
    return " ".join(name.split()).casefold()


def team_by_name(project: Project) -> dict[str, TeamMember]:
    """The people a task of ``project`` may be assigned to (``planning.forms.team_of``: its team) by
    :func:`resource_key` of their name (the first of two of the same name)."""
    team: dict[str, TeamMember] = {}
    for member in team_of(project):
        team.setdefault(resource_key(member.name), member)
    return team


def stored_path(*, project: Project, user: User, token: str) -> Path | None:
    """Where the plan of ``token`` uploaded by ``user`` for ``project`` is kept (``services.plan_upload``); None
    for a malformed token."""
    if not _TOKEN.match(token or ""):
        return None
    return Path(settings.PRIVATE_MEDIA_ROOT) / "plan-imports" / f"{project.pk}-{user.pk}-{token}.json"


def plan_stored(*, project: Project, user: User, token: str) -> Plan | None:
    """The plan kept for ``project`` and ``user`` under ``token``; None when there is none (imported, over a day
    old, another's) or it cannot be read back."""
    path = stored_path(project=project, user=user, token=token)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("project") != project.pk or data.get("user") != user.pk:
            return None
        return Plan.from_dict(data["plan"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class PreviewRow:
    """A task as the import would create it: its deliverable's name ("" for none), the predecessors' names, the
    team members its resources match and the resources that match none."""

    source: str
    deliverable: str
    name: str
    start: dt.date | None
    finish: dt.date | None
    hours: Decimal | None
    predecessors: list[str]
    assignees: list[str]
    unmatched: list[str]


@dataclass(frozen=True)
class PlanPreview:
    """What confirming the plan would do. ``may_deliver``: whether the user may add deliverables (else the
    summaries are not imported and the tasks go without a deliverable). ``unmatched`` the resource names no
    team member has (those tasks are imported unassigned by them), ``existing`` the task names the project
    already has, ``below`` what the lists under the tasks hold, in words ("1 row refused")."""

    plan: Plan
    rows: list[PreviewRow]
    deliverables: list[PlanDeliverable]
    may_deliver: bool
    links: int
    unmatched: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    below: list[str] = field(default_factory=list)


def plan_preview(*, project: Project, user: User, plan: Plan) -> PlanPreview:
    """The preview of ``plan`` for ``project`` as ``user`` would import it (two queries: the team, the project's
    task names)."""
    team = team_by_name(project)
    may_deliver = access.edit_project.allows(user, project)
    deliverables = {item.key: item.name for item in plan.deliverables} if may_deliver else {}
    names = {task.key: task.name for task in plan.tasks}
    rows, unmatched = [], []
    for task in plan.tasks:
        matched = [team[resource_key(r)].name for r in task.resources if resource_key(r) in team]
        missing = [r for r in task.resources if resource_key(r) not in team]
        unmatched += [r for r in missing if r not in unmatched]
        rows.append(
            PreviewRow(
                source=task.source,
                deliverable=deliverables.get(task.deliverable or "", ""),
                name=task.name,
                start=task.start,
                finish=task.finish,
                hours=task.hours,
                predecessors=[names[key] for key in task.predecessors],
                assignees=list(dict.fromkeys(matched)),
                unmatched=missing,
            )
        )
    wanted = {name.casefold() for name in names.values()}
    # One query; the titles compared in Python, as a database's case folding differs from Python's.
    existing = sorted(
        {
            title
            for title in Task.objects.filter(project=project).values_list("title", flat=True)
            if title.casefold() in wanted
        }
    )
    counts = (
        (len(plan.simplified), "link imported as finish-to-start", "links imported as finish-to-start"),
        (len(unmatched), "resource not on the team", "resources not on the team"),
        (len(plan.refused), "row refused", "rows refused"),
        (len(plan.notes), "thing read differently than written", "things read differently than written"),
    )
    return PlanPreview(
        below=[f"{n} {one if n == 1 else many}" for n, one, many in counts if n],
        plan=plan,
        rows=rows,
        deliverables=plan.deliverables if may_deliver else [],
        may_deliver=may_deliver,
        links=sum(len(task.predecessors) for task in plan.tasks),
        unmatched=unmatched,
        existing=existing,
    )
