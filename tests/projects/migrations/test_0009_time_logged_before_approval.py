"""The migration that approves and prices time logged before APM approved time (0009)."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from projects.budget import figures
from projects.budget.services.costs import time_entry_record
from projects.models import Approval, TimeEntry
from teams.services import member_rate_set

D = Decimal
step = importlib.import_module("projects.migrations.0009_time_logged_before_approval")


def test_time_logged_before_the_money_loop_is_approved_and_priced_at_the_persons_bill_rate(world, member):
    person = world["alpha_project"].team_members.get()
    member_rate_set(member=person, cost_rate=D("55.00"), bill_rate=D("95.50"), valid_from=dt.date(2024, 1, 1))
    project = world["alpha_project"]
    old = time_entry_record(member=person, project=project, date=dt.date(2025, 3, 10), hours=D("2.25"))
    quiet = time_entry_record(member=person, project=project, date=dt.date(2025, 3, 11), hours=D("1"), billable=False)
    new = time_entry_record(member=person, project=project, date=dt.date(2025, 3, 12), hours=D("3"))
    # As they stood before: no bill rate stored; the first two written before the money loop's migration.
    TimeEntry.objects.update(bill_rate=None, bill_rate_source="", bill_amount=None)
    TimeEntry.objects.filter(pk__in=[old.pk, quiet.pk]).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    step.approve_and_price(apps, SimpleNamespace(connection=connection))

    rows = {e.pk: e for e in TimeEntry.objects.all()}
    assert (rows[old.pk].approval, rows[old.pk].bill_rate, rows[old.pk].bill_amount) == (
        Approval.APPROVED,
        D("95.50"),
        D("214.88"),  # 2.25 h x 95.50 = 214.875, half-up
    )
    assert rows[old.pk].bill_rate_source == "person"
    assert rows[old.pk].decision_comment == "Logged before time was approved in APM."
    assert (rows[quiet.pk].approval, rows[quiet.pk].bill_rate) == (Approval.APPROVED, None)  # not billable
    assert (rows[new.pk].approval, rows[new.pk].bill_rate) == (Approval.OPEN, None)  # logged since: left alone
    # The migration ran before projects kept their figures; run on today's schema, it leaves them to be written.
    figures.refresh([project.pk])
