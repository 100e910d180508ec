"""Writes of project templates: save a project as one, keep them (administrators), start a project from one.

A template's ``content`` is the document of :mod:`projects.project_templates.content`: dates as days from
the project's start, items pointing at each other by index. A new project from a template is created by
the project form's own service (``projects.portfolio.services.project_save``) and then filled by each
domain's own create service (deliverables, tasks and their checklists, RAID items, quality standards,
budget lines, clauses), so every rule and every history entry of those is kept, all in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from apm import access
from apm.errors import Refused
from projects.budget.services.plan import budget_line_add
from projects.delivery.services import deliverable_create
from projects.documents.services import clause_create
from projects.models import (
    BudgetLine,
    Clause,
    Deliverable,
    ProjectTemplate,
    QualityStandard,
    RaidItem,
    RaidStatus,
    Task,
)
from projects.planning.services import checklist_item_add, task_create
from projects.portfolio.services import project_save
from projects.project_templates import content as doc
from projects.quality.services import project_standards_set
from projects.raid.services import raid_item_create

if TYPE_CHECKING:
    import datetime as dt

    from apm.accounts.models import User
    from projects.models import Project
    from projects.portfolio.forms import ProjectForm


def _name_free(name: str, *, template: ProjectTemplate | None = None) -> str:
    """``name`` stripped, if no other template has it (case-insensitively), else ``Refused``."""
    name = name.strip()
    if not name:
        raise Refused("Give the template a name.")
    if len(name) > 200:
        raise Refused("A template's name is at most 200 characters.")
    clash = ProjectTemplate.objects.annotate(lower=Lower("name")).filter(lower=name.lower())
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise Refused(f"A template named “{name}” already exists; choose another name.")
    return name


def _save_new(template: ProjectTemplate) -> ProjectTemplate:
    # Two saves of the same name at once: the database's unique index decides, and the loser reads why.
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise Refused(f"A template named “{template.name}” already exists; choose another name.") from None
    return template


def content_of(project: Project) -> dict[str, Any]:
    """The template document of ``project`` as it is now (see :mod:`projects.project_templates.content`).

    Kept: its deliverables (name, description, acceptance criteria, dates, dependencies), tasks (title,
    description, estimate, priority, dates, deliverable, dependencies, checklist texts, repeat rule; not who
    does them nor how far they are; of a repeating task, its first occurrence only), RAID risks, assumptions
    and dependencies still open (issues are events, not starters), quality standards (by name and client),
    budget lines (not the unallocated remainder) and clauses (with their evidence). Dates become days from
    ``project.start_date``, which must be set.
    Seven queries.
    """
    start = project.start_date
    if start is None:
        raise Refused("Give the project a start date first: a template's dates count from it.")
    deliverables = list(
        Deliverable.objects.filter(project=project).order_by("due_date", "pk").prefetch_related("depends_on")
    )
    where = {d.pk: n for n, d in enumerate(deliverables)}
    # A repeating task's later occurrences are left out: the first keeps the series (its rule and dates), and a
    # new project makes its own next ones.
    tasks = list(
        Task.objects.filter(project=project, recurs_from__isnull=True)
        .order_by("deliverable_id", "due_date", "pk")
        .prefetch_related("depends_on", "checklist")
    )
    task_at = {t.pk: n for n, t in enumerate(tasks)}
    raid = RaidItem.objects.filter(project=project, kind__in=doc.STARTER_KINDS).exclude(status=RaidStatus.CLOSED)
    standards = QualityStandard.objects.filter(projects=project).select_related("client").order_by("name", "pk")
    lines = BudgetLine.objects.filter(project=project, unallocated=False).order_by("category", "pk")
    clauses = Clause.objects.filter(project=project).order_by("number", "pk")
    return {
        "version": doc.VERSION,
        "currency": project.currency,
        "deliverables": [
            {
                "name": d.name,
                "description": d.description,
                "acceptance_criteria": [str(c) for c in d.acceptance_criteria or []],
                "start": doc.offset(start, d.start_date),
                "due": doc.offset(start, d.due_date),
                "depends_on": sorted(where[p.pk] for p in d.depends_on.all() if p.pk in where),
            }
            for d in deliverables
        ],
        "tasks": [
            {
                "title": t.title,
                "description": t.description,
                "estimate_hours": None if t.estimate_hours is None else str(t.estimate_hours),
                "priority": t.priority,
                "start": doc.offset(start, t.start_date),
                "due": doc.offset(start, t.due_date),
                "deliverable": where.get(t.deliverable_id) if t.deliverable_id else None,
                "depends_on": sorted(task_at[p.pk] for p in t.depends_on.all() if p.pk in task_at),
                "checklist": [item.text for item in t.checklist.all()],
                "recurrence": t.recurrence,
            }
            for t in tasks
        ],
        "raid": [
            {
                "kind": r.kind,
                "title": r.title,
                "description": r.description,
                "due": doc.offset(start, r.due_date),
                "probability": r.probability,
                "impact": r.impact,
                "mitigation": r.mitigation,
                "contingency_plan": r.contingency_plan,
                "trigger": r.trigger,
            }
            for r in raid.order_by("kind", "raised_at", "pk")
        ],
        "quality_standards": [
            {"name": s.name, "client_id": s.client_id, "client": s.client.name if s.client else ""} for s in standards
        ],
        "budget_lines": [
            {"category": b.category, "description": b.description, "amount": str(b.amount)} for b in lines
        ],
        "clauses": [
            {
                "number": c.number,
                "title": c.title,
                "text": c.text,
                "kind": c.kind,
                "deadline": doc.offset(start, c.deadline),
                "evidence": c.evidence,
                "evidence_document_kind": c.evidence_document_kind,
                "evidence_report_kind": c.evidence_report_kind,
                "evidence_deliverable": where.get(c.evidence_deliverable_id) if c.evidence_deliverable_id else None,
            }
            for c in clauses
        ],
    }


def template_save_from_project(*, project: Project, user: User, name: str, description: str = "") -> ProjectTemplate:
    """Save ``project``'s plan as a new template named ``name`` (see :func:`content_of` for what is kept).

    Raises ``Refused``, saving nothing, unless ``user`` may edit the project (its PM, a head of its
    departments, an administrator: ``access.edit_project``), for a missing name, a name over 200 characters
    or one another template has (case-insensitively), and for a project without a start date.
    """
    access.edit_project.require(
        user,
        project,
        "Only the project's manager, a head of its departments or an administrator may save it as a template.",
    )
    name = _name_free(name)
    template = ProjectTemplate(
        name=name, description=description.strip(), content=content_of(project), source_project=project, created_by=user
    )
    return _save_new(template)


def template_update(*, template: ProjectTemplate, user: User, name: str, description: str) -> ProjectTemplate:
    """Rename ``template`` and set its description. Raises ``Refused`` unless ``user`` keeps templates
    (``access.manage_templates``: administrators), for a missing or too long name, or one another template has."""
    access.manage_templates.require(user, "Only an administrator may change a template.")
    template.name = _name_free(name, template=template)
    template.description = description.strip()
    try:
        with transaction.atomic():
            template.save(update_fields=["name", "description", "updated_at"])
    except IntegrityError:
        raise Refused(f"A template named “{template.name}” already exists; choose another name.") from None
    return template


def template_delete(*, template: ProjectTemplate, user: User) -> None:
    """Delete ``template`` (projects started from it keep everything). Raises ``Refused`` unless ``user`` keeps
    templates (``access.manage_templates``: administrators)."""
    access.manage_templates.require(user, "Only an administrator may delete a template.")
    template.delete()


def _standards_for(project: Project, plan: doc.TemplatePlan) -> list[QualityStandard]:
    """The current active version of each of the plan's standards that applies to ``project``: company-wide
    ones, and its client's own (another client's standard, or one retired since, is left out)."""
    found = []
    for wanted in plan.standards:
        if wanted.client_id is not None and wanted.client_id != project.client_id:
            continue
        current = (
            QualityStandard.objects.filter(name=wanted.name, is_active=True)
            .filter(client__isnull=wanted.client_id is None)
            .filter(**({} if wanted.client_id is None else {"client_id": wanted.client_id}))
            .order_by("-version")
            .first()
        )
        if current is not None:
            found.append(current)
    return found


def project_create_from_template(*, template: ProjectTemplate, user: User, form: ProjectForm) -> Project:
    """Create the project of a valid, unsaved project ``form`` (``projects.portfolio.forms.ProjectForm``) and
    give it ``template``'s items, every date moved to count from the form's start date.

    The project is saved by ``project_save`` (the project form's service); then each item by its own
    domain's create service, by ``user``, with its history ("created"): deliverables and their
    dependencies, tasks (to do, nobody assigned) with their deliverable, dependencies and checklists, the
    RAID starters, the quality standards that apply to the project's client (:func:`_standards_for`), the
    budget lines (taken from a BAC typed on the form first, as on the budget page; only when ``user`` sees
    the template's amounts, ``access.template_money_visible``) and the clauses. All in one transaction: any
    refusal creates nothing.

    Raises ``Refused`` unless ``user`` may create projects (``access.create_project``), when the form has no
    start date, when the template's content is malformed (``content.plan_of``), when the template's
    budget is in another currency than the form's, and whatever a service refuses (``user`` could not see
    or manage the project it creates, a date past the calendar, a value a model refuses).
    """
    access.create_project.require(user, "You may not create projects.")
    start: dt.date | None = form.cleaned_data.get("start_date")
    if start is None:
        raise Refused("Give the project a start date: the template's dates count from it.")
    plan = doc.plan_of(template.content)
    # Its budget lines are money: copied only for someone who may see them on the template (a project of
    # their own would show them the amounts the template page hides).
    budget_lines = plan.budget_lines if access.template_money_visible(user, template) else ()
    currency = form.cleaned_data.get("currency")
    if budget_lines and currency != plan.currency:
        raise Refused(
            f"The template's budget lines are in {plan.currency}; choose {plan.currency} as the project's "
            "currency (or start it without a template)."
        )
    with transaction.atomic():
        project = project_save(form=form, user=user)
        deliverables = [
            deliverable_create(
                project=project,
                user=user,
                name=d.name,
                description=d.description,
                acceptance_criteria=d.acceptance_criteria,
                start_date=doc.shifted(start, d.start),
                due_date=doc.shifted(start, d.due) or start,
            )
            for d in plan.deliverables
        ]
        for made, d in zip(deliverables, plan.deliverables, strict=True):
            if d.depends_on:
                made.depends_on.set([deliverables[i] for i in d.depends_on])
        # Each task made after those it depends on, so that task_create links them (and its history says so).
        tasks: dict[int, Task] = {}
        for index in doc.predecessors_first([t.depends_on for t in plan.tasks]):
            t = plan.tasks[index]
            task = task_create(
                project=project,
                user=user,
                title=t.title,
                description=t.description,
                deliverable=None if t.deliverable is None else deliverables[t.deliverable],
                estimate_hours=t.estimate_hours,
                start_date=doc.shifted(start, t.start),
                due_date=doc.shifted(start, t.due),
                priority=t.priority,
                depends_on=[tasks[i] for i in t.depends_on],
                recurrence=t.recurrence,
            )
            for text in t.checklist:
                checklist_item_add(task=task, user=user, text=text)
            tasks[index] = task
        for r in plan.raid:
            fields: dict[str, Any] = {
                "title": r.title,
                "description": r.description,
                "due_date": doc.shifted(start, r.due),
            }
            if r.kind == "risk":
                fields |= {
                    "probability": r.probability,
                    "impact": r.impact,
                    "mitigation": r.mitigation,
                    "contingency_plan": r.contingency_plan,
                    "trigger": r.trigger,
                }
            raid_item_create(project=project, kind=r.kind, user=user, **fields)
        standards = _standards_for(project, plan)
        if standards:
            project_standards_set(project=project, standards=standards, user=user)
        for line in budget_lines:
            budget_line_add(
                project=project, category=line.category, amount=line.amount, description=line.description, actor=user
            )
        for c in plan.clauses:
            clause_create(
                project=project,
                user=user,
                number=c.number,
                title=c.title,
                text=c.text,
                kind=c.kind,
                evidence=c.evidence,
                evidence_document_kind=c.evidence_document_kind,
                evidence_report_kind=c.evidence_report_kind,
                evidence_deliverable=None if c.evidence_deliverable is None else deliverables[c.evidence_deliverable],
                deadline=doc.shifted(start, c.deadline),
            )
    return project
