"""Fixtures of the invoice tests: the clock at 2 April 2026, Acme with its billing details, and March 2026's
approved time on ALPHA-1 (tests/conftest.py's world)."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from apm.errors import Refused
from projects.budget.services.approval import time_entries_decide, timesheet_week_submit
from projects.budget.services.costs import time_entry_record
from projects.models import BillingModel, ProjectBilling
from teams.services import member_rate_set
from tests import factories

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def april_2(time_machine):
    """The clock stopped at 10:00 in London on Thursday 2 April 2026 (a module's tests take it with
    ``pytest.mark.usefixtures("april_2")``)."""
    time_machine.move_to(dt.datetime(2026, 4, 2, 10, tzinfo=LONDON), tick=False)


@pytest.fixture
def acme(world):
    """Acme, invoiced in GBP as Acme Trading Ltd of 1 Quay Street, Bristol (tax ID GB 123 4567 89) at 30 days."""
    return factories.billed_as_acme(world["acme"])


@pytest.fixture
def march(world, acme, pm):
    """ALPHA-1 bills time and materials; Mo, a developer at 95.00 GBP an hour (cost rate 55.00), worked 8 h on
    2 Mar and 6 h on 3 Mar 2026, approved; Nat, with no bill rate, 3 h on 4 Mar (left out of a draft). A draft of
    March bills 14 h: 1,330.00 net, 266.00 tax, 1,596.00 gross."""
    project = world["alpha_project"]
    ProjectBilling.objects.create(project=project, model=BillingModel.TIME_AND_MATERIALS)
    developer = factories.JobRoleFactory(title="Developer")
    factories.BillRateFactory(job_role=developer, rate=D("95.00"), currency="GBP")
    mo = project.team_members.get()
    mo.job_role = developer
    mo.save()
    nat = factories.TeamMemberFactory(name="Nat Norate", job_role=factories.JobRoleFactory(title="Intern"))
    project.team_members.add(nat)
    entries = []
    for person in (mo, nat):
        member_rate_set(member=person, cost_rate=D("55.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1))
    for person, day, hours in ((mo, 2, "8"), (mo, 3, "6"), (nat, 4, "3")):
        entries.append(time_entry_record(member=person, project=project, date=dt.date(2026, 3, day), hours=D(hours)))
    for entry in entries:
        with contextlib.suppress(Refused):
            timesheet_week_submit(member=entry.member, week_start=entry.date - dt.timedelta(days=entry.date.weekday()))
    time_entries_decide(project=project, entry_ids=[e.pk for e in entries], approve=True, actor=pm)
    return project
