"""The project list's export: the list's projects with its filters, BAC only for those who see the money."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.exports_support import csv_rows, export_queries, xlsx_rows

pytestmark = pytest.mark.django_db


def _url(fmt: str, query: str = "") -> str:
    return reverse("projects:list_export", kwargs={"fmt": fmt}) + query


def test_a_pm_exports_the_filtered_list_with_bac(client, world, pm):
    world["alpha_project"].bac = 1000
    world["alpha_project"].name = "=1+1"
    world["alpha_project"].save()
    client.force_login(pm)
    page = client.get(reverse("projects:list") + "?q=ALPHA").content.decode()
    assert _url("xlsx", "?q=ALPHA") in page
    rows = xlsx_rows(client.get(_url("xlsx", "?q=ALPHA")))
    assert "BAC" in rows[0]
    assert [row[:2] for row in rows[1:]] == [["ALPHA-1", "'=1+1"]]
    assert rows[1][rows[0].index("BAC")] == 1000


def test_a_member_and_a_client_get_no_money_column(client, world, member, client_user):
    world["alpha_project"].bac = 1000
    world["alpha_project"].save()
    for user in (member, client_user):
        client.force_login(user)
        rows = csv_rows(client.get(_url("csv")))
        assert "BAC" not in rows[0]
        assert [row[0] for row in rows[1:]] == ["ALPHA-1"]


def test_an_unknown_format_is_a_404(client, world, pm):
    client.force_login(pm)
    assert client.get("/projects/export.pdf", follow=True).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_takes_the_same_queries_for_5_and_200_projects(client, world, pm, fmt):
    dept = world["alpha"]
    factories.ProjectFactory.create_batch(5, project_manager=pm, departments=[dept])
    client.force_login(pm)
    few = export_queries(client, _url(fmt))
    factories.ProjectFactory.create_batch(195, project_manager=pm, departments=[dept])
    assert export_queries(client, _url(fmt)) == few
