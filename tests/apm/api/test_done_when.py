"""The API's whole job in one walk: a developer outside the team reads the schema, makes a token on the tokens
page, lists their projects and files a time entry with it; a head exports the RAID log to XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from apm.api.models import ApiToken
from projects.models import TimeEntry
from teams.models import MemberRate
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_developer_makes_a_token_lists_projects_and_files_time_and_a_head_exports_the_raid_log(
    client, world, member, head
):
    # The developer signs in as the team member whose integration it is, and reads the schema.
    client.force_login(member)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/projects/" in paths
    assert "post" in paths["/api/v1/time-entries/"]

    # Makes a read-and-write token on the tokens page: shown once, in the answer to the POST.
    page = client.post("/api/tokens/", {"name": "Timesheet sync", "scope": "write", "days": "30"})
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    token = re.search(r'value="(apm_[0-9a-f]{12}_[A-Za-z0-9_-]+)"', page.content.decode()).group(1)
    assert ApiToken.objects.get(user=member).can_write
    assert token not in client.get("/api/tokens/").content.decode()

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    projects = api.get("/api/v1/projects/")
    assert projects.status_code == 200
    assert [row["code"] for row in projects.json()["results"]] == ["ALPHA-1"]
    assert projects.json()["results"][0]["money"] is None  # a team member never sees money

    day = timezone.localdate() - dt.timedelta(days=1)
    MemberRate.objects.create(
        member=member.team_member, cost_rate=40, bill_rate=90, valid_from=day - dt.timedelta(days=30)
    )
    filed = api.post(
        "/api/v1/time-entries/",
        {"project": "ALPHA-1", "date": day.isoformat(), "hours": "3.50", "note": "API sync"},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    entry = TimeEntry.objects.get(pk=filed.json()["id"])
    assert (entry.project.code, entry.member.user, entry.date, str(entry.hours)) == ("ALPHA-1", member, day, "3.50")
    assert filed.json()["money"] is None
    listed = api.get("/api/v1/time-entries/", {"project": "ALPHA-1"}).json()["results"]
    assert [row["id"] for row in listed] == [entry.pk]

    # A head exports the project's RAID log to XLSX.
    factories.RaidItemFactory(project=world["alpha_project"], title="Supplier late")
    client.force_login(head)
    export = client.get("/projects/ALPHA-1/raid/export.xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    titles = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["Supplier late"]
