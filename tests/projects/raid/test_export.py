"""The RAID log's export: CSV and XLSX, filtered as the page, for those who see the page only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.exports_support import csv_rows, export_queries, xlsx_rows

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'


def _url(project, fmt: str, query: str = "") -> str:
    return reverse("projects:raid_export", kwargs={"code": project.code, "fmt": fmt}) + query


def test_a_head_exports_the_raid_log_to_xlsx_with_inert_formulae(client, world, head):
    project = world["alpha_project"]
    factories.RaidItemFactory(project=project, title=FORMULA)
    factories.RaidItemFactory(
        project=project, kind="issue", title="Late supplier", severity="high", probability=None, impact=None
    )
    factories.RaidItemFactory(project=world["beta_project"], title="Not ours")
    client.force_login(head)
    response = client.get(_url(project, "xlsx"))
    assert response["Content-Disposition"].startswith('attachment; filename="raid-ALPHA-1-')
    rows = xlsx_rows(response)
    assert rows[0][:3] == ["Ref.", "Kind", "Title"]
    titles = sorted(row[2] for row in rows[1:])
    assert titles == ["'" + FORMULA, "Late supplier"]
    risk = next(row for row in rows[1:] if row[1] == "Risk")
    assert risk[4:7] == [3, 3, 9]


def test_the_export_honours_the_kind_filter_of_the_page(client, world, pm):
    project = world["alpha_project"]
    factories.RaidItemFactory(project=project, title="A risk")
    factories.RaidItemFactory(
        project=project, kind="issue", title="An issue", severity="low", probability=None, impact=None
    )
    client.force_login(pm)
    page = client.get(reverse("projects:raid", args=[project.code]) + "?kind=issue").content.decode()
    assert _url(project, "csv", "?kind=issue") in page
    rows = csv_rows(client.get(_url(project, "csv", "?kind=issue")))
    assert [row[2] for row in rows[1:]] == ["An issue"]


def test_a_member_exports_but_a_client_and_an_unknown_format_get_404(client, world, member, client_user):
    project = world["alpha_project"]
    client.force_login(member)
    assert client.get(_url(project, "csv")).status_code == 200
    assert client.get(f"/projects/{project.code}/raid/export.pdf").status_code == 404
    client.force_login(client_user)
    assert client.get(_url(project, "csv")).status_code == 404
    assert client.get(_url(project, "xlsx")).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_takes_the_same_queries_for_5_and_200_items(client, world, pm, fmt):
    project = world["alpha_project"]
    owner = factories.UserFactory()
    factories.RaidItemFactory.create_batch(5, project=project, owner=owner)
    client.force_login(pm)
    few = export_queries(client, _url(project, fmt))
    factories.RaidItemFactory.create_batch(195, project=project, owner=owner)
    assert export_queries(client, _url(project, fmt)) == few
