"""Reads of project templates: the list with its counts, and one template made readable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from apm import access
from apm.errors import Refused
from projects.models import ProjectTemplate
from projects.planning import recurrence
from projects.project_templates import content as doc

if TYPE_CHECKING:
    from apm.accounts.models import User


@dataclass(frozen=True)
class TemplateRow:
    """A template on the list: the template (its source project and author joined), whether the reader sees
    the source project (else it is not named), and how many items of each kind it holds."""

    template: ProjectTemplate
    source_seen: bool
    counts: dict[str, int]


def template_list(*, user: User) -> list[TemplateRow]:
    """Every template, by name, with its counts (read from the content: no query a row). Two queries: the
    templates, and the ids of the projects ``user`` sees (None for an administrator: all)."""
    templates = list(ProjectTemplate.objects.select_related("source_project", "created_by"))
    seen = access.see_project.ids(user) if templates else frozenset()
    return [
        TemplateRow(
            template=t,
            source_seen=t.source_project_id is not None and (seen is None or t.source_project_id in seen),
            counts=doc.counts_of(t.content),
        )
        for t in templates
    ]


@dataclass(frozen=True)
class TaskView:
    task: doc.PlanTask
    after: list[str]  # the titles of the tasks it depends on
    repeats: str = ""  # its repeat rule in words ("" when it does not repeat)


@dataclass(frozen=True)
class DeliverableView:
    deliverable: doc.PlanDeliverable | None  # None: the tasks under no deliverable
    after: list[str] = field(default_factory=list)  # the names of the deliverables it depends on
    tasks: list[TaskView] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateView:
    """One template as its page shows it: the checked plan (None with ``problem`` when malformed), the
    deliverables each with its tasks, whether the budget's amounts are shown, and the source project."""

    template: ProjectTemplate
    plan: doc.TemplatePlan | None
    problem: str
    groups: list[DeliverableView]
    show_money: bool
    source_seen: bool


def template_view(*, template: ProjectTemplate, user: User) -> TemplateView:
    """``template`` made readable for ``user``: amounts only where ``access.template_money_visible``."""
    try:
        plan: doc.TemplatePlan | None = doc.plan_of(template.content)
        problem = ""
    except Refused as exc:
        plan, problem = None, exc.message
    groups: list[DeliverableView] = []
    if plan is not None:
        names = [d.name for d in plan.deliverables]
        groups = [DeliverableView(deliverable=d, after=[names[i] for i in d.depends_on]) for d in plan.deliverables]
        loose = DeliverableView(deliverable=None)
        for task in plan.tasks:
            shown = TaskView(
                task=task,
                after=[plan.tasks[i].title for i in task.depends_on],
                repeats=recurrence.describe(task.recurrence) if task.recurrence else "",
            )
            (loose if task.deliverable is None else groups[task.deliverable]).tasks.append(shown)
        if loose.tasks:
            groups.append(loose)
    source = template.source_project
    return TemplateView(
        template=template,
        plan=plan,
        problem=problem,
        groups=groups,
        show_money=access.template_money_visible(user, template),
        source_seen=source is not None and access.see_project.allows(user, source),
    )
