"""Who receives a report (``reports.selectors.report_recipients``), for scheduled reports of every scope."""

from __future__ import annotations

import pytest

from reports.models import Report
from reports.services import reports_dispatch_due
from tests import factories
from tests.reports.scheduled import NOW, addresses, due_schedule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]


def test_it_never_sends_a_client_report_to_reporting_heads(world, travel, published):
    factories.ClientContactFactory(client=world["acme"], email="quiet@acme.example", opted_in_reports=False)
    schedule = due_schedule(
        kind="highlight", scope="project", audience="client", department=None, project=world["alpha_project"],
        send_to_reporting_heads=True, send_to_client_contacts=True,
    )  # fmt: skip
    [report] = reports_dispatch_due(now=NOW)
    assert world["alpha_project"].reporting_heads.exists()
    assert addresses(report) == ["ann@acme.example"]
    schedule.send_to_client_contacts = False
    schedule.save()
    report.refresh_from_db()
    assert addresses(report) == []


def test_it_never_sends_an_internal_report_to_a_client_contact(world, travel, published, outside_head):
    due_schedule(
        kind="highlight", scope="project", department=None, project=world["alpha_project"],
        send_to_reporting_heads=True, send_to_client_contacts=True,
        extra_recipients="ANN@acme.example\nclient@example.com\nboss@example.com\nnot an address",
    )  # fmt: skip
    [report] = reports_dispatch_due(now=NOW)
    # ann is an Acme contact; client@example.com is the client user's login address.
    assert addresses(report) == [outside_head.email, "boss@example.com"]


def test_it_sends_to_the_right_heads_for_each_scope(world, head, outside_head, pm, admin_user, travel, published):
    silent = factories.UserFactory(username="silent", email="")
    world["alpha"].heads.add(silent)
    department = due_schedule(department=world["alpha"], extra_recipients=f"{head.email.upper()}\nx@example.com")
    company = due_schedule(scope="company", department=None)
    portfolio = due_schedule(scope="pm_portfolio", department=None, project_manager=pm)
    reports_dispatch_due(now=NOW)
    assert addresses(Report.objects.get(schedule=department)) == [head.email, "x@example.com"]
    # The company report covers every project: only administrators may see them all,
    # so department heads (who see their departments' slice) are not sent it.
    assert addresses(Report.objects.get(schedule=company)) == [admin_user.email]
    assert addresses(Report.objects.get(schedule=portfolio)) == [pm.email]
