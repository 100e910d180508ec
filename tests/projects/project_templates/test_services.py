"""Saving a project as a template and starting a project from it: every item, its dates moved to the new start."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.models import BudgetLine, Clause, Deliverable, Project, ProjectTemplate, RaidItem, Task
from projects.project_templates import services
from projects.project_templates.forms import ProjectFromTemplateForm

pytestmark = pytest.mark.django_db


def _form(user, data):
    form = ProjectFromTemplateForm(data, user=user)
    assert form.is_valid(), form.errors
    return form


def test_it_keeps_the_plan_as_days_from_the_start(planned, pm):
    template = services.template_save_from_project(project=planned, user=pm, name="Web shop", description="Shops")

    content = template.content
    assert template.source_project == planned
    assert template.created_by == pm
    assert [(d["name"], d["start"], d["due"], d["depends_on"]) for d in content["deliverables"]] == [
        ("Design", 0, 14, []),
        ("Build", 15, 59, [0]),
    ]
    tasks = {t["title"]: t for t in content["tasks"]}
    assert (tasks["Sketch"]["start"], tasks["Sketch"]["due"], tasks["Sketch"]["deliverable"]) == (1, 9, 0)
    assert tasks["Sketch"]["checklist"] == ["Wireframes", "Review"]
    assert tasks["Sketch"]["estimate_hours"] == "8.00"
    assert content["tasks"][tasks["Code"]["depends_on"][0]]["title"] == "Sketch"
    assert tasks["Tidy up"]["start"] is None
    assert tasks["Tidy up"]["deliverable"] is None
    assert sorted(r["title"] for r in content["raid"]) == ["Key designer leaves", "The client gives feedback in 3 days"]
    assert content["quality_standards"] == [{"name": "Accessible web", "client_id": None, "client": ""}]
    assert content["budget_lines"] == [{"category": "labour", "description": "Design days", "amount": "1234.00"}]
    assert content["clauses"][0]["deadline"] == 60


def test_it_creates_a_project_with_every_item_at_the_new_start(planned, pm, form_data):
    template = services.template_save_from_project(project=planned, user=pm, name="Web shop")

    project = services.project_create_from_template(template=template, user=pm, form=_form(pm, form_data))

    assert project.code == "NEW-1"
    assert project.start_date == dt.date(2025, 3, 3)
    design, build = Deliverable.objects.filter(project=project).order_by("due_date")
    assert (design.name, design.start_date, design.due_date) == ("Design", dt.date(2025, 3, 3), dt.date(2025, 3, 17))
    assert (build.start_date, build.due_date) == (dt.date(2025, 3, 18), dt.date(2025, 5, 1))
    assert list(build.depends_on.all()) == [design]
    assert design.acceptance_criteria == ["Signed wireframes"]
    sketch = Task.objects.get(project=project, title="Sketch")
    code = Task.objects.get(project=project, title="Code")
    tidy = Task.objects.get(project=project, title="Tidy up")
    assert (sketch.start_date, sketch.due_date, sketch.deliverable) == (
        dt.date(2025, 3, 4),
        dt.date(2025, 3, 12),
        design,
    )
    assert (sketch.estimate_hours, sketch.priority, sketch.status) == (Decimal("8.00"), "high", "to_do")
    assert [i.text for i in sketch.checklist.all()] == ["Wireframes", "Review"]
    assert (code.start_date, code.due_date, code.deliverable) == (dt.date(2025, 3, 18), dt.date(2025, 4, 3), build)
    assert list(code.depends_on.all()) == [sketch]
    assert code.history.filter(history_change_reason__contains=f"depends on: {sketch.reference}").exists()
    assert (tidy.start_date, tidy.due_date, tidy.deliverable) == (None, None, None)
    risk = RaidItem.objects.get(project=project, kind="risk")
    assert (risk.title, risk.due_date, risk.probability, risk.impact) == (
        "Key designer leaves",
        dt.date(2025, 4, 2),
        3,
        4,
    )
    assert RaidItem.objects.filter(project=project).count() == 2
    assert [s.name for s in project.quality_standards.all()] == ["Accessible web"]
    line = BudgetLine.objects.get(project=project)
    assert (line.category, line.amount, line.description) == ("labour", Decimal("1234.00"), "Design days")
    project.refresh_from_db()
    assert project.bac == Decimal("1234.00")
    clause = Clause.objects.get(project=project)
    assert (clause.number, clause.deadline) == ("4.1", dt.date(2025, 5, 2))
    # The items were written by the domains' services, with their history.
    entry = design.history.get()
    assert (entry.history_user, entry.history_change_reason) == (pm, "created")
    assert sketch.history.filter(history_user=pm).exists()


def test_it_makes_a_task_after_those_it_depends_on_whatever_their_order(pm, project, form_data):
    content = {
        "version": 1,
        "currency": "GBP",
        "tasks": [{"title": "Launch", "depends_on": [1, 2]}, {"title": "Test", "depends_on": [2]}, {"title": "Build"}],
    }
    template = ProjectTemplate.objects.create(name="Backwards", content=content)

    made = services.project_create_from_template(template=template, user=pm, form=_form(pm, form_data))

    tasks = {t.title: t for t in Task.objects.filter(project=made)}
    assert set(tasks["Launch"].depends_on.all()) == {tasks["Test"], tasks["Build"]}
    assert list(tasks["Test"].depends_on.all()) == [tasks["Build"]]
    assert not tasks["Build"].depends_on.exists()


def test_it_keeps_how_a_task_repeats(pm, project, form_data):
    content = {
        "version": 1,
        "currency": "GBP",
        "tasks": [{"title": "Weekly check-in", "due": 4, "recurrence": "FREQ=WEEKLY;BYDAY=FR"}],
    }
    template = ProjectTemplate.objects.create(name="Repeats", content=content)

    made = services.project_create_from_template(template=template, user=pm, form=_form(pm, form_data))

    task = Task.objects.get(project=made)
    assert (task.recurrence, task.due_date) == ("FREQ=WEEKLY;INTERVAL=1;BYDAY=FR", dt.date(2025, 3, 7))


def test_it_refuses_a_repeat_rule_the_tasks_refuse_and_creates_nothing(pm, project, form_data):
    content = {"version": 1, "currency": "GBP", "tasks": [{"title": "Often", "due": 4, "recurrence": "FREQ=SECONDLY"}]}
    template = ProjectTemplate.objects.create(name="Too often", content=content)

    with pytest.raises(Refused):
        services.project_create_from_template(template=template, user=pm, form=_form(pm, form_data))

    assert not Project.objects.filter(code="NEW-1").exists()


def test_it_leaves_alone_the_project_it_was_saved_from(planned, pm, form_data):
    template = services.template_save_from_project(project=planned, user=pm, name="Web shop")
    before = Task.objects.filter(project=planned).count()

    services.project_create_from_template(template=template, user=pm, form=_form(pm, form_data))

    assert Task.objects.filter(project=planned).count() == before == 3
    assert Deliverable.objects.filter(project=planned).count() == 2


def test_it_refuses_a_duplicate_name_whatever_its_case(planned, pm):
    services.template_save_from_project(project=planned, user=pm, name="Web shop")

    with pytest.raises(Refused, match="A template named “WEB SHOP” already exists"):
        services.template_save_from_project(project=planned, user=pm, name="  WEB SHOP ")

    assert ProjectTemplate.objects.count() == 1


def test_it_refuses_a_project_without_a_start_date(planned, pm):
    Project.objects.filter(pk=planned.pk).update(start_date=None)
    planned.refresh_from_db()

    with pytest.raises(Refused, match="start date"):
        services.template_save_from_project(project=planned, user=pm, name="Web shop")


def test_it_refuses_to_save_for_someone_who_may_not_edit_the_project(planned, outside_head, member):
    for user in (outside_head, member):
        with pytest.raises(Refused, match="may save it as a template"):
            services.template_save_from_project(project=planned, user=user, name="Web shop")
    assert not ProjectTemplate.objects.exists()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"version": 2, "currency": "GBP"}, "not a version 1 template"),
        ({"version": 1, "currency": "GBP", "tasks": [{"title": "A", "depends_on": [5]}]}, "task 1 depends on"),
        (
            {
                "version": 1,
                "currency": "GBP",
                "tasks": [{"title": "A", "depends_on": [1]}, {"title": "B", "depends_on": [0]}],
            },
            "in a loop",
        ),
        ({"version": 1, "currency": "GBP", "deliverables": [{"name": "D", "due": "soon"}]}, "deliverable 1 has a due"),
        ({"version": 1, "currency": "GBP", "deliverables": [{"name": "D", "due": 10**9}]}, "deliverable 1 has a due"),
        ({"version": 1, "currency": "GBP", "budget_lines": [{"category": "labour", "amount": "-5"}]}, "amount"),
        ({"version": 1, "currency": "GBP", "raid": [{"kind": "issue", "title": "X"}]}, "unknown kind"),
        ({"version": 1, "currency": "GBP", "tasks": "many"}, "tasks are not a list"),
        (["not", "a", "document"], "not a version 1 template"),
    ],
)
def test_it_refuses_malformed_content_and_creates_nothing(pm, project, form_data, content, says):
    template = ProjectTemplate.objects.create(name="Hand-edited", content=content)
    projects_before, tasks_before = Project.objects.count(), Task.objects.count()

    with pytest.raises(Refused, match=says):
        services.project_create_from_template(template=template, user=pm, form=_form(pm, form_data))

    assert (Project.objects.count(), Task.objects.count()) == (projects_before, tasks_before)


def test_it_creates_nothing_when_an_item_is_refused_halfway(pm, project, form_data):
    # The first deliverable is made; the second's date, 36,000 days after a start in 9990, is past the calendar.
    content = {"version": 1, "currency": "GBP", "deliverables": [{"name": "D", "due": 3}, {"name": "E", "due": 36000}]}
    template = ProjectTemplate.objects.create(name="Far", content=content)
    form = _form(pm, form_data | {"start_date": "9990-01-01"})

    with pytest.raises(Refused, match="past the calendar"):
        services.project_create_from_template(template=template, user=pm, form=form)

    assert not Project.objects.filter(code="NEW-1").exists()
    assert not Deliverable.objects.filter(name="D").exists()


def test_it_refuses_a_budget_in_another_currency(planned, pm, form_data):
    template = services.template_save_from_project(project=planned, user=pm, name="Web shop")

    with pytest.raises(Refused, match="in GBP; choose GBP"):
        services.project_create_from_template(
            template=template, user=pm, form=_form(pm, form_data | {"currency": "EUR"})
        )

    assert not Project.objects.filter(code="NEW-1").exists()


def test_it_lets_only_administrators_rename_and_delete(planned, pm, admin_user):
    template = services.template_save_from_project(project=planned, user=pm, name="Web shop")

    with pytest.raises(Refused, match="Only an administrator"):
        services.template_update(template=template, user=pm, name="Mine", description="")
    with pytest.raises(Refused, match="Only an administrator"):
        services.template_delete(template=template, user=pm)

    services.template_update(template=template, user=admin_user, name="Shop in a box", description="The usual")
    template.refresh_from_db()
    assert (template.name, template.description) == ("Shop in a box", "The usual")
    services.template_delete(template=template, user=admin_user)
    assert not ProjectTemplate.objects.exists()


def test_it_keeps_a_repeating_task_once_however_many_occurrences_it_had(pm, project):
    from projects.planning import services as tasks

    task = tasks.task_create(
        project=project,
        user=pm,
        title="Monthly report",
        due_date=dt.date(2025, 3, 31),
        recurrence="FREQ=MONTHLY;BYMONTHDAY=-1",
    )
    for state in ("in_progress", "in_review", "done"):
        tasks.task_move(task=task, user=pm, to=state)
    assert Task.objects.filter(project=project, title="Monthly report").count() == 2

    kept = services.content_of(project)["tasks"]

    assert [(t["title"], t["recurrence"]) for t in kept] == [
        ("Monthly report", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1")
    ]
