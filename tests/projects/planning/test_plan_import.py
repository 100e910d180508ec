"""Importing a supplier's plan into a project's tasks: MS Project XML (tests/data/plans/supplier_plan.xml) and
task lists (CSV, XLSX), previewed before anything is written, refused whole for XML with entities, broken XML,
broken dates and loops; who may import; a double confirm imports once."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from apm.errors import Refused
from projects.models import Deliverable, Task
from projects.planning.plan_import import reading, services, task_list
from tests import factories
from tests.test_html import Page, problems

pytestmark = pytest.mark.django_db

PLANS = Path(__file__).resolve().parents[2] / "data" / "plans"

LIST_HEADER = ["ID", "Task Name", "Start Date", "Finish", "Predecessors", "Outline Level", "Resource Names", "Work"]


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (PLANS / name).read_bytes())


def _upload(client, project, upload: SimpleUploadedFile):
    return client.post(reverse("projects:task_import", args=[project.code]), {"file": upload})


def _token(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.search(r"preview=([A-Za-z0-9_-]{22})", response.url).group(1)


def _confirm(client, project, token: str):
    return client.post(reverse("projects:task_import_confirm", args=[project.code]), {"token": token})


def _links() -> set[tuple[str, str]]:
    return {(task.title, before.title) for task in Task.objects.all() for before in task.depends_on.all()}


def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows) + "\n"
    return SimpleUploadedFile("plan.csv", text.encode())


def test_it_imports_the_ms_project_plan_with_its_dependencies(client, pm, project, mo):
    client.force_login(pm)
    response = client.get(reverse("projects:tasks", args=[project.code]))
    assert "Import a plan" in response.content.decode()
    token = _token(_upload(client, project, _file("supplier_plan.xml")))
    assert Task.objects.count() == 0
    response = _confirm(client, project, token)
    assert response.status_code == 302
    assert response.url == reverse("projects:tasks", args=[project.code])
    page = client.get(response.url).content.decode()
    assert "Imported 7 tasks with 7 links and 2 deliverables." in page

    discovery, build = Deliverable.objects.order_by("due_date")
    assert (discovery.name, discovery.start_date, discovery.due_date) == (
        "Discovery",
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 13),
    )
    assert (build.name, build.start_date, build.due_date) == ("Build", dt.date(2026, 3, 16), dt.date(2026, 4, 10))
    tasks = {task.title: task for task in Task.objects.all()}
    assert set(tasks) == {
        "Stakeholder interviews",
        "Requirements workshop",
        "Requirements sign-off",
        "Interface design",
        "Backend services",
        "Integration testing",
        "Release to the client",
    }
    backend = tasks["Backend services"]
    assert (backend.start_date, backend.due_date, backend.estimate_hours, backend.deliverable) == (
        dt.date(2026, 3, 18),
        dt.date(2026, 4, 3),
        Decimal("120.00"),
        build,
    )
    assert backend.description == "Three services: accounts, bookings, notifications."
    assert tasks["Requirements workshop"].deliverable == discovery
    assert tasks["Requirements sign-off"].start_date == tasks["Requirements sign-off"].due_date == dt.date(2026, 3, 13)
    assert _links() == {
        ("Requirements workshop", "Stakeholder interviews"),
        ("Requirements sign-off", "Requirements workshop"),
        ("Interface design", "Requirements sign-off"),
        ("Backend services", "Interface design"),
        ("Integration testing", "Backend services"),
        ("Integration testing", "Interface design"),
        ("Release to the client", "Integration testing"),
    }
    # Mo Member is on the team; Priya Supplier is not, and her tasks are imported without her.
    assignees = {title: [m.name for m in task.assignees.all()] for title, task in tasks.items()}
    assert assignees["Requirements workshop"] == ["Mo Member"]
    assert assignees["Backend services"] == ["Mo Member"]
    assert assignees["Stakeholder interviews"] == []
    assert assignees["Release to the client"] == []
    # Through the services: each task's history says it was created, who does it and what it depends on.
    reasons = list(backend.history.values_list("history_change_reason", "history_user"))
    assert reasons == [(f"created; assigned: Mo Member; depends on: {tasks['Interface design'].reference}", pm.pk)]
    assert discovery.history.count() == 1


def test_it_previews_the_plan_before_anything_is_written(client, pm, project, mo, django_assert_num_queries):
    client.force_login(pm)
    response = _upload(client, project, _file("supplier_plan.xml"))
    url = response.url
    with django_assert_num_queries(7):  # session, user, project, its team, its task names, and the page's own
        response = client.get(url)
    html = response.content.decode()
    assert problems(Page(html)) == []
    assert (
        "Read as MS Project XML: <strong>7 tasks</strong> with 7 finish-to-start links and <strong>2 deliverables"
        in html
    )
    assert "Import 7 tasks and 2 deliverables" in html
    assert (
        "“Interface design” (ID 6) → “Backend services” (ID 7): start-to-start with a lag of 2 days, imported as "
        "finish-to-start."
    ) in html
    assert "Resources not on the project's team" in html
    assert "“Priya Supplier”" in html
    assert "not on the team: Priya Supplier" in html
    assert Task.objects.count() == 0
    assert Deliverable.objects.count() == 0


def test_it_refuses_xml_with_an_external_entity_and_creates_nothing(client, pm, project, settings):
    client.force_login(pm)
    response = _upload(client, project, _file("xxe.xml"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "declares a document type or entities, which a plan saved by MS Project does not" in html
    assert "root:" not in html  # nothing of /etc/passwd
    assert problems(Page(html)) == []
    assert Task.objects.count() == 0
    assert not list(Path(settings.PRIVATE_MEDIA_ROOT).glob("plan-imports/*"))


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"<Project xmlns='http://schemas.microsoft.com/project'><Tasks><Task>", "is not well-formed XML"),
        (b"<?xml version='1.0'?><html><body/></html>", "its root is “html”, not “Project”"),
        (
            b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;'>]><Project>"
            b"<Name>&lol2;</Name></Project>",
            "declares a document type or entities",
        ),
        (
            b"<Project xmlns='http://schemas.microsoft.com/project'><Tasks><Task><UID>1</UID><Name>Dig</Name>"
            b"<Start>2026-02-30T08:00:00</Start></Task></Tasks></Project>",
            "The start of the task “Dig” (ID 1) is not a date: “2026-02-30T08:00:00”.",
        ),
        (
            b"<Project xmlns='http://schemas.microsoft.com/project'><Tasks><Task><UID>1</UID><Name>Dig</Name>"
            b"<Finish>soon</Finish></Task></Tasks></Project>",
            "The finish of the task “Dig” (ID 1) is not a date: “soon”.",
        ),
        (b"<Project xmlns='http://schemas.microsoft.com/project'><Tasks/></Project>", "holds no task"),
        (b"   \n", "is empty"),
        (b"Name\n\x00\x01\x02", "Nothing was imported."),
        (b"Title;Begins\n", "holds no task"),
        (b"What,When\nDig,2026-03-02\n", "has no column of task names (Name, Task Name, Task or Title)"),
        (b"PK\x03\x04not really a zip", "Nothing was"),
    ],
)
def test_it_refuses_a_broken_file_with_a_sentence_and_creates_nothing(client, pm, project, data, said):
    client.force_login(pm)
    response = _upload(client, project, SimpleUploadedFile("plan.xml", data))
    assert response.status_code == 200
    html = response.content.decode()
    assert said in html.replace("&#x27;", "'"), html[html.find("alert-danger") :][:600]
    assert problems(Page(html)) == []
    assert Task.objects.count() == 0


def test_it_refuses_a_file_over_the_size_limit(client, pm, project, monkeypatch):
    monkeypatch.setattr(reading, "MAX_PLAN_BYTES", 1000)
    client.force_login(pm)
    html = _upload(client, project, SimpleUploadedFile("big.xml", b" " * 1001)).content.decode()
    assert "a plan may be 0 MB at most" in html or "at most" in html
    assert Task.objects.count() == 0


def test_it_refuses_a_loop_of_links(client, pm, project):
    client.force_login(pm)
    rows = [
        LIST_HEADER,
        ["1", "Dig", "2026-03-02", "2026-03-03", "3", "1", "", ""],
        ["2", "Pour", "2026-03-04", "2026-03-05", "1", "1", "", ""],
        ["3", "Set", "2026-03-06", "2026-03-07", "2FS+1d", "1", "", ""],
    ]
    html = _upload(client, project, _csv(rows)).content.decode()
    assert "The plan&#x27;s links go round in a loop: “Dig” (line 2) → “Pour” (line 3) → “Set” (line 4) → “Dig”" in html
    assert Task.objects.count() == 0


def test_it_imports_a_csv_task_list_with_nested_summaries(client, pm, project, mo):
    client.force_login(pm)
    response = client.get(_token_url := _upload(client, project, _file("task_list.csv")).url)
    html = response.content.decode()
    assert "Read as CSV" in html
    assert "The summary tasks “Copy” are inside “Content”: their tasks go under the deliverable “Content”." in html
    assert "“Write the copy” (line 4) → “Photography” (line 6): start-to-start with a lag of 2d" in html
    assert "“Sam Copy”" in html
    token = re.search(r"preview=([A-Za-z0-9_-]{22})", _token_url).group(1)
    _confirm(client, project, token)
    content = Deliverable.objects.get()
    assert (content.name, content.due_date) == ("Content", dt.date(2026, 3, 27))
    tasks = {task.title: task for task in Task.objects.all()}
    assert set(tasks) == {
        "Write the copy",
        "Proof-read the copy",
        "Photography",
        "Publish the pages",
        "Tell the client",
    }
    assert tasks["Write the copy"].start_date == dt.date(2026, 3, 2)  # "Mon 02/03/26": day first
    assert tasks["Photography"].estimate_hours == Decimal("24.00")  # 3 days of 8 hours
    assert tasks["Tell the client"].deliverable is None
    assert [m.name for m in tasks["Proof-read the copy"].assignees.all()] == ["Mo Member"]
    assert _links() == {
        ("Proof-read the copy", "Write the copy"),
        ("Photography", "Write the copy"),
        ("Publish the pages", "Proof-read the copy"),
        ("Publish the pages", "Photography"),
        ("Tell the client", "Publish the pages"),
    }


def test_it_imports_an_xlsx_task_list_refusing_bad_rows(client, pm, project, mo):
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Start", "Finish", "Predecessors", "Resource Names"])
    sheet.append(["Survey the site", dt.datetime(2026, 5, 4), dt.datetime(2026, 5, 6), None, "mo  member"])
    sheet.append(["Draw the plans", dt.datetime(2026, 5, 7), dt.datetime(2026, 5, 15), "1", None])
    sheet.append(["Order the steel", "next week", dt.datetime(2026, 5, 20), "2", None])
    sheet.append(["Pour the slab", dt.datetime(2026, 5, 25), dt.datetime(2026, 5, 21), "Draw the plans", None])
    sheet.append(["Lay the floor", dt.datetime(2026, 5, 26), dt.datetime(2026, 5, 29), "3; 2", None])
    data = io.BytesIO()
    book.save(data)
    client.force_login(pm)
    url = _upload(client, project, SimpleUploadedFile("steel.xlsx", data.getvalue())).url
    html = client.get(url).content.decode()
    assert "Read as XLSX" in html
    assert "“Order the steel” (line 4): its start “next week” is not a date" in html
    assert "“Pour the slab” (line 5): it finishes (21 May 2026) before it starts (25 May 2026)." in html
    assert (
        "“Lay the floor” (line 6): its predecessor “Order the steel” (line 4) was refused; the link is left out."
        in html
    )
    _confirm(client, project, re.search(r"preview=([A-Za-z0-9_-]{22})", url).group(1))
    tasks = {task.title: task for task in Task.objects.all()}
    assert set(tasks) == {"Survey the site", "Draw the plans", "Lay the floor"}
    assert tasks["Survey the site"].due_date == dt.date(2026, 5, 6)
    assert [m.name for m in tasks["Survey the site"].assignees.all()] == ["Mo Member"]
    assert _links() == {("Draw the plans", "Survey the site"), ("Lay the floor", "Draw the plans")}
    assert Deliverable.objects.count() == 0


def test_it_imports_once_when_confirmed_twice(client, pm, project):
    client.force_login(pm)
    token = _token(_upload(client, project, _file("supplier_plan.xml")))
    _confirm(client, project, token)
    response = _confirm(client, project, token)
    assert response.status_code == 302
    page = client.get(response.url, follow=True).content.decode()
    assert "This plan has been imported already" in page
    assert Task.objects.count() == 7
    assert Deliverable.objects.count() == 2
    with pytest.raises(Refused, match="imported already"):
        services.plan_import(project=project, user=pm, token=token)
    # The preview is gone too.
    page = client.get(reverse("projects:task_import", args=[project.code]) + f"?preview={token}").content.decode()
    assert "That preview is no longer kept" in page


def test_it_keeps_the_plan_for_another_try_when_a_service_refuses(pm, project, monkeypatch):
    token = services.plan_upload(project=project, user=pm, upload=_file("supplier_plan.xml"))

    def refuse(**kwargs):
        raise Refused("No room.")

    monkeypatch.setattr(services.task_services, "task_create", refuse)
    with pytest.raises(Refused, match=r"No room\."):
        services.plan_import(project=project, user=pm, token=token)
    assert Deliverable.objects.count() == 0
    monkeypatch.undo()
    assert services.plan_import(project=project, user=pm, token=token).tasks == 7


def test_it_imports_a_members_plan_without_deliverables(client, member, project, mo):
    client.force_login(member)
    url = _upload(client, project, _file("supplier_plan.xml")).url
    html = client.get(url).content.decode()
    assert "may add deliverables: the summary tasks “Discovery”, “Build” are not imported" in html
    assert "Import 7 tasks</button>" in html
    _confirm(client, project, re.search(r"preview=([A-Za-z0-9_-]{22})", url).group(1))
    assert Task.objects.count() == 7
    assert Task.objects.filter(deliverable__isnull=False).count() == 0
    assert Deliverable.objects.count() == 0
    assert len(_links()) == 7


@pytest.mark.parametrize("who", ["client_user", "other_client_user", "other_pm", "outside_head"])
def test_it_answers_404_to_those_who_may_not_edit_the_tasks(client, request, pm, project, who):
    token = services.plan_upload(project=project, user=pm, upload=_file("supplier_plan.xml"))
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("projects:task_import", args=[project.code])).status_code == 404
    assert _upload(client, project, _file("supplier_plan.xml")).status_code == 404
    assert _confirm(client, project, token).status_code == 404
    assert Task.objects.count() == 0


def test_it_keeps_a_preview_to_the_user_who_uploaded_it(client, pm, member, project):
    token = services.plan_upload(project=project, user=pm, upload=_file("supplier_plan.xml"))
    client.force_login(member)
    url = reverse("projects:task_import", args=[project.code])
    assert "That preview is no longer kept" in client.get(f"{url}?preview={token}").content.decode()
    _confirm(client, project, token)
    assert Task.objects.count() == 0
    for junk in ("../../etc/passwd", "x" * 22, "", "%00"):
        assert client.get(f"{url}?preview={junk}").status_code == 200
        assert _confirm(client, project, junk).status_code == 302
    other = factories.ProjectFactory(code="OTHER-1", project_manager=pm)
    with pytest.raises(Refused, match="imported already"):
        services.plan_import(project=other, user=pm, token=token)


def test_it_reads_ms_project_lags_types_and_links_to_summaries():
    xml = b"""<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project"><Tasks>
    <Task><UID>0</UID><ID>0</ID><Name>Whole</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>
    <Task><UID>1</UID><ID>1</ID><Name>Phase</Name><OutlineLevel>1</OutlineLevel><Summary>1</Summary>
      <Start>2026-01-05T08:00:00</Start><Finish>2026-01-09T17:00:00</Finish></Task>
    <Task><UID>2</UID><ID>2</ID><Name>Inner</Name><OutlineLevel>2</OutlineLevel><Summary>1</Summary></Task>
    <Task><UID>3</UID><ID>3</ID><Name>A</Name><OutlineLevel>3</OutlineLevel><Summary>0</Summary>
      <Finish>2026-01-06T17:00:00</Finish></Task>
    <Task><UID>4</UID><ID>4</ID><Name>B</Name><OutlineLevel>2</OutlineLevel><Summary>0</Summary>
      <PredecessorLink><PredecessorUID>3</PredecessorUID><Type>0</Type><LinkLag>-2400</LinkLag></PredecessorLink>
    </Task>
    <Task><UID>5</UID><ID>5</ID><Name>C</Name><OutlineLevel>1</OutlineLevel><Summary>0</Summary>
      <PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type></PredecessorLink>
      <PredecessorLink><PredecessorUID>99</PredecessorUID><Type>1</Type></PredecessorLink>
    </Task>
    <Task><UID>6</UID><IsNull>1</IsNull></Task>
    </Tasks></Project>"""
    plan = reading.read_plan(xml, name="p.xml")
    assert [(d.name, d.inner) for d in plan.deliverables] == [("Phase", ["Inner"])]
    assert [(t.name, t.deliverable, t.predecessors) for t in plan.tasks] == [
        ("A", "uid:1", []),
        ("B", "uid:1", ["uid:3"]),
        ("C", None, ["uid:3", "uid:4"]),
    ]
    assert plan.simplified == [
        "“A” (ID 3) → “B” (ID 4): finish-to-finish with a lag of -4 hours, imported as finish-to-start."
    ]
    assert "“C” (ID 5): its predecessor UID 99 is not a task of the file; left out." in plan.notes
    assert any("a link of a summary task" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-03-02", dt.date(2026, 3, 2)),
        ("02/03/2026", dt.date(2026, 3, 2)),
        ("Mon 02/03/26", dt.date(2026, 3, 2)),
        ("2.3.2026", dt.date(2026, 3, 2)),
        ("2 March 2026 08:00", dt.date(2026, 3, 2)),
        ("2026-03-02 17:00:00", dt.date(2026, 3, 2)),
        ("", None),
    ],
)
def test_it_reads_the_dates_of_a_task_list(text, day):
    assert task_list.parse_list_date(text) == day


@pytest.mark.parametrize("text", ["31/02/2026", "03/30/2026", "tomorrow", "1899-12-31", "9999-01-01"])
def test_it_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError, match=re.escape(text)):
        task_list.parse_list_date(text)


def test_it_creates_a_task_after_a_predecessor_listed_below_it(pm, project):
    rows = [["Name", "Predecessors"], ["Hand over", "Build"], ["Build", "Design"], ["Design", ""]]
    upload = SimpleUploadedFile("order.csv", "\n".join(",".join(row) for row in rows).encode())
    token = services.plan_upload(project=project, user=pm, upload=upload)
    assert services.plan_import(project=project, user=pm, token=token).links == 2
    assert list(Task.objects.order_by("pk").values_list("title", flat=True)) == ["Design", "Build", "Hand over"]
    assert _links() == {("Hand over", "Build"), ("Build", "Design")}


def test_it_reads_odd_cells_of_a_task_list_without_failing():
    text = 'ID,Name,Outline Level,Predecessors\n²,Dig deep,³,\u0661\n2,Fill,1,"²,  , 9SS+0d"\n'
    plan = reading.read_plan(text.encode(), name="odd.csv")
    assert [(t.key, t.name) for t in plan.tasks] == [("line:2", "Dig deep"), ("id:2", "Fill")]
    assert plan.tasks[1].predecessors == []
    assert "“Fill” (line 3): its predecessor “²” is not a task of the file; left out." in plan.notes
    assert "“Fill” (line 3): its predecessor 9SS+0d is not a task of the file; left out." in plan.notes
    assert plan.simplified == []
    plan = reading.read_plan("Name\r\nDig\x00 deep\r\n".encode("utf-16"), name="nul.csv")
    assert [t.name for t in plan.tasks] == ["Dig deep"]


def test_it_forgets_stored_plans_after_a_day(pm, project, settings):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        old = services.plan_upload(project=project, user=pm, upload=_file("supplier_plan.xml"))
        folder = Path(settings.PRIVATE_MEDIA_ROOT) / "plan-imports"
        (folder / "1-1-left-behind.importing").write_text("{}")
        for path in folder.iterdir():
            os.utime(path, (time.time(), time.time()))
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        new = services.plan_upload(project=project, user=pm, upload=_file("supplier_plan.xml"))
    assert sorted(path.name for path in folder.iterdir()) == [f"{project.pk}-{pm.pk}-{new}.json"]
    with pytest.raises(Refused, match="imported already"):
        services.plan_import(project=project, user=pm, token=old)


@pytest.mark.parametrize("size", [3, 300])
def test_it_previews_in_a_fixed_number_of_queries(client, pm, project, mo, size, django_assert_num_queries):
    rows = [["Name", "Finish", "Predecessors", "Resource Names"]]
    rows += [
        [f"Step {n}", "2026-06-30", str(n - 1) if n > 1 else "", "Mo Member; Sam Other"] for n in range(1, size + 1)
    ]
    client.force_login(pm)
    url = _upload(client, project, _csv(rows)).url
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert f"Import {size} tasks" in html
