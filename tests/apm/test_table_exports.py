"""Every register's export from its page (apm.exports.table_response): the page links to it with its filters, its
readers get CSV and XLSX of every row with formulae made inert, a client gets a 404, money only for its readers,
and the number of queries does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404
from django.urls import reverse

from apm.exports import export_filename, safe_cell, table_response
from projects.models import ChangeRequest, Document, Task
from tests import factories
from tests.exports_support import body, csv_rows, export_queries, xlsx_rows

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Register:
    """A project register: its page, its export, how to add a row named ``name``, and its name column."""

    page: str
    export: str
    make: Callable[[Any, str], Any]
    name_column: str
    money_column: str | None = None


def _change(project: Any, name: str) -> ChangeRequest:
    return ChangeRequest.objects.create(
        project=project, number=next(_numbers), title=name, cost_impact=Decimal("1250.00"), schedule_impact_days=3
    )


REGISTERS = {
    "raid": Register(
        "projects:raid", "projects:raid_export", lambda p, n: factories.RaidItemFactory(project=p, title=n), "Title"
    ),
    "deliverables": Register(
        "projects:deliverables",
        "projects:deliverables_export",
        lambda p, n: factories.DeliverableFactory(project=p, name=n),
        "Deliverable",
    ),
    "tasks": Register(
        "projects:tasks", "projects:tasks_export", lambda p, n: Task.objects.create(project=p, title=n), "Task"
    ),
    "changes": Register("projects:changes", "projects:changes_export", _change, "Title", money_column="Cost impact"),
    "documents": Register(
        "projects:documents",
        "projects:documents_export",
        lambda p, n: Document.objects.create(project=p, kind="contract", title=n),
        "Title",
    ),
    "correspondence": Register(
        "projects:correspondence",
        "projects:correspondence_export",
        lambda p, n: factories.CorrespondenceFactory(project=p, subject=n),
        "Subject",
    ),
}


def _url(register: Register, project: Any, fmt: str) -> str:
    return reverse(register.export, kwargs={"code": project.code, "fmt": fmt})


@pytest.mark.parametrize("key", REGISTERS)
def test_the_page_links_to_its_exports_and_a_pm_gets_every_row_inert(client, world, pm, key):
    register, project = REGISTERS[key], world["alpha_project"]
    register.make(project, FORMULA)
    register.make(project, "Plain")
    register.make(world["beta_project"], "Not ours")
    client.force_login(pm)
    page = client.get(reverse(register.page, args=[project.code])).content.decode()
    assert _url(register, project, "csv") in page
    assert _url(register, project, "xlsx") in page
    for rows in (
        xlsx_rows(client.get(_url(register, project, "xlsx"))),
        csv_rows(client.get(_url(register, project, "csv"))),
    ):
        names = sorted(row[rows[0].index(register.name_column)] for row in rows[1:])
        assert names == sorted(["'" + FORMULA, "Plain"])
        if register.money_column:
            assert register.money_column in rows[0]


@pytest.mark.parametrize("key", REGISTERS)
def test_a_member_sees_no_money_and_clients_get_404(client, world, member, client_user, head, key):
    register, project = REGISTERS[key], world["alpha_project"]
    register.make(project, "Row")
    client.force_login(member)
    response = client.get(_url(register, project, "csv"))
    page = client.get(reverse(register.page, args=[project.code]))
    assert response.status_code == page.status_code  # the member gets the export where they get the page
    if page.status_code == 200 and register.money_column:
        assert register.money_column not in csv_rows(response)[0]
    client.force_login(head)
    assert len(xlsx_rows(client.get(_url(register, project, "xlsx")))) == 2
    client.force_login(client_user)
    for fmt in ("csv", "xlsx"):
        assert client.get(_url(register, project, fmt)).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("key", REGISTERS)
def test_the_export_takes_the_same_queries_for_5_and_200_rows(client, world, pm, key, fmt):
    register, project = REGISTERS[key], world["alpha_project"]
    for n in range(5):
        register.make(project, f"Row {n}")
    client.force_login(pm)
    few = export_queries(client, _url(register, project, fmt))
    for n in range(195):
        register.make(project, f"More {n}")
    assert export_queries(client, _url(register, project, fmt)) == few


def test_the_helper_writes_numbers_and_dates_as_such_and_refuses_an_unknown_format():
    rows = [["=1+1", Decimal("-12.50"), 3, dt.date(2026, 1, 2), None, True, "bell\x07"]]
    columns = ["Name", "Amount", "Count", "Day", "Empty", "Flag", "Control"]
    xlsx = xlsx_rows(table_response(rows=rows, columns=columns, filename="a b/c.xlsx", fmt="xlsx"))
    assert xlsx[1] == ["'=1+1", -12.5, 3, dt.datetime(2026, 1, 2), None, "yes", "bell"]
    response = table_response(rows=rows, columns=columns, filename="x.csv", fmt="csv")
    assert body(response).decode().splitlines()[1] == "'=1+1,-12.50,3,2026-01-02,,yes,bell\x07"
    assert (
        'filename="a-b-c.xlsx"'
        in table_response(rows=[], columns=columns, filename="a b/c.xlsx", fmt="xlsx")["Content-Disposition"]
    )
    with pytest.raises(Http404):
        table_response(rows=rows, columns=columns, filename="x", fmt="pdf")
    assert export_filename("raid", "AB/1", "csv", today=dt.date(2026, 1, 2)) == "raid-AB-1-2026-01-02.csv"
    assert safe_cell("-2") == "'-2"
