"""The dispatcher: one queued report per due schedule and occurrence, however often and by however many it runs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apm.outbox.models import OutboundEmail
from reports.models import Report, ReportSchedule, ReportStatus
from reports.services import reports_dispatch_due, schedule_activate, schedule_claim_occurrence
from tests import factories
from tests.reports.scheduled import NOW, OCCURRENCE, UTC, due_schedule, render_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]


def test_it_creates_one_queued_report_per_due_schedule(world, travel, published, django_capture_on_commit_callbacks):
    department = due_schedule(name="Alpha weekly", department=world["alpha"])
    project = due_schedule(
        name="Alpha highlight", kind="highlight", scope="project", department=None, project=world["alpha_project"]
    )
    due_schedule(name="Not yet", department=world["beta"], next_run_at=OCCURRENCE + dt.timedelta(days=7))
    due_schedule(name="Paused", department=world["beta"], active=False)

    with django_capture_on_commit_callbacks(execute=True):
        created = reports_dispatch_due(now=NOW)

    assert sorted(r.schedule_id for r in created) == sorted([department.pk, project.pk])
    assert Report.objects.count() == 2
    report = Report.objects.get(schedule=department)
    assert report.status == ReportStatus.QUEUED
    assert report.scheduled_for == OCCURRENCE
    assert (report.kind, report.audience, report.scope) == ("portfolio", "internal", "department")
    assert report.department == world["alpha"]
    assert (report.period_start, report.period_end) == (dt.date(2025, 6, 3), dt.date(2025, 6, 9))
    assert report.title == "Alpha weekly, 9 June 2025"
    assert report.queued_at == NOW
    assert Report.objects.get(schedule=project).project == world["alpha_project"]
    department.refresh_from_db()
    assert department.next_run_at == OCCURRENCE + dt.timedelta(days=7)
    assert department.last_run_at == NOW
    assert sorted(render_ids(published)) == sorted(r.pk for r in created)


def test_it_creates_nothing_when_dispatched_twice(world, travel, published):
    due_schedule(department=world["alpha"])
    assert len(reports_dispatch_due(now=NOW)) == 1
    assert reports_dispatch_due(now=NOW) == []
    assert reports_dispatch_due(now=NOW + dt.timedelta(minutes=1)) == []
    assert Report.objects.count() == 1


def test_it_lets_only_one_of_two_concurrent_claims_through(world, travel, published):
    schedule = due_schedule(department=world["alpha"])
    # Two dispatchers read the same schedule row before either claimed it.
    first_view = ReportSchedule.objects.get(pk=schedule.pk)
    second_view = ReportSchedule.objects.get(pk=schedule.pk)
    first = schedule_claim_occurrence(schedule=first_view, expected_next_run_at=OCCURRENCE, now=NOW)
    second = schedule_claim_occurrence(schedule=second_view, expected_next_run_at=OCCURRENCE, now=NOW)
    assert first is not None
    assert second is None
    assert Report.objects.filter(schedule=schedule).count() == 1


def test_it_relies_on_the_unique_constraint_when_the_schedule_is_rewound(world, travel, published):
    schedule = due_schedule(department=world["alpha"])
    [report] = reports_dispatch_due(now=NOW)
    # An operator rewinds the schedule to the occurrence already reported on.
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=OCCURRENCE)
    assert reports_dispatch_due(now=NOW) == []
    assert list(Report.objects.values_list("pk", flat=True)) == [report.pk]
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            schedule=schedule, scheduled_for=OCCURRENCE, kind="portfolio", audience="internal",
            scope="department", title="dup", period_end=dt.date(2025, 6, 9), queued_at=NOW,
        )  # fmt: skip


def test_it_sends_one_report_for_the_latest_missed_occurrence_not_a_burst(world, published):
    schedule = due_schedule(department=world["alpha"], next_run_at=OCCURRENCE - dt.timedelta(days=21))
    with time_machine.travel(NOW, tick=False):
        created = reports_dispatch_due(now=NOW)
    assert len(created) == 1
    assert created[0].scheduled_for == OCCURRENCE
    assert created[0].period_end == dt.date(2025, 6, 9)
    schedule.refresh_from_db()
    assert schedule.next_run_at == OCCURRENCE + dt.timedelta(days=7)


def test_it_sets_the_next_run_when_a_schedule_is_activated(world):
    schedule = factories.ReportScheduleFactory(department=world["alpha"], weekdays=[3], local_time=dt.time(7, 30))
    with time_machine.travel(NOW, tick=False):
        schedule_activate(schedule=schedule, now=NOW)
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2025, 6, 11, 6, 30, tzinfo=UTC)  # Wednesday 07:30 BST
    schedule.active = False
    schedule.save()
    schedule_activate(schedule=schedule, now=NOW)
    schedule.refresh_from_db()
    assert schedule.next_run_at is None
    assert reports_dispatch_due(now=NOW + dt.timedelta(days=30)) == []


def test_it_pauses_a_schedule_whose_owner_has_no_department_and_goes_on(world, head, admin_user, travel, published):
    """The owner's TeamMember has no department (none set, or it was deleted): the administrators are told.

    The pause and the dispatch of the other due schedules go on.
    """
    factories.TeamMemberFactory(user=head, department=None)
    head.is_active = False
    head.save(update_fields=["is_active"])
    orphan = due_schedule(name="Alpha weekly", department=world["alpha"], created_by=head)
    other = due_schedule(name="Beta weekly", department=world["beta"])

    created = reports_dispatch_due(now=NOW)

    assert [report.schedule_id for report in created] == [other.pk]
    orphan.refresh_from_db()
    assert not orphan.active
    assert "is deactivated" in orphan.paused_reason
    [told] = OutboundEmail.objects.filter(subject__startswith="Report schedule paused")
    assert told.to == [admin_user.email]
