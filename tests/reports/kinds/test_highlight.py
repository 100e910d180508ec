"""The highlight report's internal details: tolerances, open exceptions and open change requests."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tests import factories
from tests.reports.snapshots import build_snapshot

pytestmark = pytest.mark.django_db


def test_it_states_the_projects_own_cost_tolerance_and_open_exceptions_internally_only(world):
    from django.utils import timezone

    from projects.models import ProjectBudget, ToleranceException

    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 31))
    ProjectBudget.objects.create(project=project, cost_tolerance_percent=Decimal("5.00"))
    ToleranceException.objects.create(
        project=project, kind="time", summary="Forecast finish 40 days late", raised_at=timezone.now()
    )
    kwargs = {"kind": "highlight", "scope": "project", "project": project}
    internal = build_snapshot(audience="internal", **kwargs)["projects"][0]["tolerance"]
    assert internal["cost_limit_percent"] == "5"
    # Budget 100,000 and forecast 110,000: +10% is outside the project's ±5%.
    assert internal["cost_exceeded"] is True
    assert internal["time_exceeded"] is True
    assert [e["summary"] for e in internal["open_exceptions"]] == ["Forecast finish 40 days late"]
    client = build_snapshot(audience="client", **kwargs)
    assert "tolerance" not in client["projects"][0]
    assert "40 days late" not in json.dumps(client)


def test_it_lists_only_the_open_change_requests_internally(world):
    from projects.models import ChangeRequest

    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 31))
    statuses = ["draft", "submitted", "approved", "rejected", "implemented"]
    for number, status in enumerate(statuses, start=1):
        ChangeRequest.objects.create(
            project=project, number=number, title=f"Change {status}", description="d", reason="r", status=status
        )
    kwargs = {"kind": "highlight", "scope": "project", "project": project}
    internal = build_snapshot(audience="internal", **kwargs)["projects"][0]["change_requests"]
    assert internal == [
        {"title": "CR-1 Change draft", "status": "Draft"},
        {"title": "CR-2 Change submitted", "status": "Submitted for approval"},
        {"title": "CR-3 Change approved", "status": "Approved"},
    ]
    assert "change_requests" not in build_snapshot(audience="client", **kwargs)["projects"][0]
