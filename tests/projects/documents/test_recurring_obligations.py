"""Repeating obligations: a period ends exactly once (marked met, or its deadline passed, however many runs or
clicks see it), is kept as met or missed, and the deadline rolls to the rule's next date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects import tasks as projects_tasks
from projects.documents import recurring, services
from projects.documents.selectors import obligation_rows
from projects.models import Clause, ObligationOccurrence, Project
from reports.models import Delivery
from tests import factories
from tests.integration.services import unavailable
from tests.projects.document_files import pdf
from tests.projects.steps import add_clause
from tests.races import race
from tests.test_html import Page, problems

pytestmark = pytest.mark.django_db

D = dt.date
YEARLY = "FREQ=YEARLY;INTERVAL=1"
MONTH_END = "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1"


def _at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def renewal(world, pm):
    """Clause 8.1 of ALPHA's contract: the street works permit renewed every year, due 31 March 2025, shown met by
    an approved permit."""
    return add_clause(
        world["alpha_project"],
        pm,
        number="8.1",
        title="Permit renewal",
        evidence="document",
        evidence_document_kind="permit",
        deadline=D(2025, 3, 31),
        recurrence="FREQ=YEARLY",
    )


@pytest.fixture
def monthly_report(world, pm):
    """Clause 9.2: a highlight report every month, due on the month's last day (31 Jan 2025 first)."""
    return add_clause(
        world["alpha_project"],
        pm,
        number="9.2",
        title="Monthly report",
        kind="reporting",
        deadline=D(2025, 1, 31),
    )


def _permit_on_file(project, pm):
    permit = services.document_create(project=project, user=pm, kind="permit", title="Permit", upload=pdf())
    for status in ("under_review", "approved"):
        services.document_set_status(document=permit, user=pm, status=status)


def test_it_refuses_a_rule_that_does_not_hold_and_changes_nothing(world, pm, renewal, monthly_report):
    assert renewal.recurrence == YEARLY
    with pytest.raises(Refused, match=re.escape("Only an obligation repeats.")):
        services.clause_set_evidence(
            clause=monthly_report, user=pm, evidence="", deadline=D(2025, 1, 31), recurrence=MONTH_END
        )
    with pytest.raises(Refused, match="A repeating obligation needs a deadline"):
        services.clause_set_evidence(clause=renewal, user=pm, evidence="document", evidence_document_kind="permit")
    with pytest.raises(Refused, match="Say on which days"):
        services.clause_set_evidence(
            clause=renewal,
            user=pm,
            evidence="document",
            evidence_document_kind="permit",
            deadline=D(2025, 3, 31),
            recurrence="FREQ=WEEKLY",
        )
    renewal.refresh_from_db()
    assert (renewal.recurrence, renewal.deadline) == (YEARLY, D(2025, 3, 31))
    # Leaving the rule out keeps it; an empty one clears it.
    services.clause_set_evidence(
        clause=renewal, user=pm, evidence="document", evidence_document_kind="permit", deadline=D(2025, 3, 31)
    )
    assert Clause.objects.get(pk=renewal.pk).recurrence == YEARLY


def test_it_ends_a_period_once_when_its_deadline_passes_however_many_runs(world, pm, renewal):
    with _at(D(2025, 3, 31)):
        assert recurring.obligations_repeat_due() == 0  # due today
    with _at(D(2025, 4, 1)):
        assert projects_tasks.repeat_due_work() == {"tasks": 0, "obligations": 1}
        assert projects_tasks.repeat_due_work() == {"tasks": 0, "obligations": 0}
    renewal.refresh_from_db()
    assert renewal.deadline == D(2026, 3, 31)
    period = ObligationOccurrence.objects.get()
    assert (period.clause, period.due_date, period.outcome, period.next_due_date, period.recorded_by) == (
        renewal,
        D(2025, 3, 31),
        "missed",
        D(2026, 3, 31),
        None,
    )
    assert (
        renewal.history.order_by("-history_id").first().history_change_reason
        == "Period due 31 Mar 2025 missed; next deadline 31 Mar 2026"
    )
    # Next year the permit is on file when the deadline passes: that period is kept as met.
    _permit_on_file(world["alpha_project"], pm)
    with _at(D(2026, 4, 2)):
        assert recurring.obligations_repeat_due() == 1
        assert recurring.obligations_repeat_due() == 0
    assert list(ObligationOccurrence.objects.values_list("due_date", "outcome")) == [
        (D(2026, 3, 31), "met"),
        (D(2025, 3, 31), "missed"),
    ]
    assert Clause.objects.get(pk=renewal.pk).deadline == D(2027, 3, 31)


def test_it_ends_a_period_once_when_marked_met_and_refuses_a_second_click(pm, renewal):
    with _at(D(2025, 3, 20)):
        recurring.obligation_period_met(clause=renewal, user=pm, due_date=D(2025, 3, 31))
        with pytest.raises(
            Refused, match=re.escape("The period due 31 Mar 2025 has ended already; the deadline is now 31 Mar 2026.")
        ):
            recurring.obligation_period_met(clause=renewal, user=pm, due_date=D(2025, 3, 31))
    with _at(D(2025, 4, 1)):
        assert recurring.obligations_repeat_due() == 0  # the deadline moved: nothing has fallen due
    period = ObligationOccurrence.objects.get()
    assert (period.outcome, period.recorded_by, period.next_due_date) == ("met", pm, D(2026, 3, 31))


def test_it_rolls_month_ends_and_skips_to_a_deadline_not_yet_past(world, pm, monthly_report):
    services.clause_set_evidence(clause=monthly_report, user=pm, evidence="", deadline=D(2025, 1, 31), recurrence="")
    Clause.objects.filter(pk=monthly_report.pk).update(kind="obligation", recurrence=MONTH_END)
    with _at(D(2025, 2, 1)):
        recurring.obligations_repeat_due()
    assert Clause.objects.get(pk=monthly_report.pk).deadline == D(2025, 2, 28)
    with _at(D(2025, 5, 10)):  # the runs stopped for months: one period ends, the deadline is the next not past
        assert recurring.obligations_repeat_due() == 1
    assert Clause.objects.get(pk=monthly_report.pk).deadline == D(2025, 5, 31)
    assert ObligationOccurrence.objects.count() == 2


def test_it_refuses_a_clause_that_does_not_repeat(pm, monthly_report, member):
    with pytest.raises(Refused, match="Only a repeating obligation"):
        recurring.obligation_period_met(clause=monthly_report, user=pm, due_date=D(2025, 1, 31))
    with pytest.raises(Refused):
        recurring.obligation_period_met(clause=monthly_report, user=member, due_date=D(2025, 1, 31))
    assert not ObligationOccurrence.objects.exists()


def test_it_shows_the_rule_and_the_periods_and_marks_one_met_on_the_page(client, pm, renewal):
    client.force_login(pm)
    url = reverse("projects:clause", args=[renewal.project.code, renewal.pk])
    with _at(D(2025, 3, 20)):
        page = client.get(url).content.decode()
        assert "Repeats: Every year." in page
        assert "Met for the period due 31 Mar 2025" in page
        assert problems(Page(page)) == []
        met = reverse("projects:clause_period_met", args=[renewal.project.code, renewal.pk])
        assert client.post(met, {"due_date": "2025-03-31"}).status_code == 302
        response = client.post(met, {"due_date": "2025-03-31"}, follow=True)  # the second click
        page = response.content.decode()
    assert "has ended already" in page
    assert "This period is due 31 Mar 2026" in page
    assert "Met for the period due" not in page  # it begins on 31 Mar 2025
    assert "Earlier periods" in page
    assert ObligationOccurrence.objects.count() == 1


def test_it_sets_the_rule_on_the_evidence_form_and_refuses_one_typed_wrong(client, pm, renewal):
    client.force_login(pm)
    url = reverse("projects:clause_evidence", args=[renewal.project.code, renewal.pk])
    data = {"evidence": "document", "evidence_document_kind": "permit", "deadline": "2025-03-31", "repeats_every": "1"}
    page = client.post(url, {**data, "repeats": "WEEKLY"}, follow=True).content.decode()
    assert "Say on which days of the week it repeats." in page
    assert Clause.objects.get(pk=renewal.pk).recurrence == YEARLY
    client.post(url, {**data, "repeats": "MONTHLY", "repeats_on_day": "-1"})
    assert Clause.objects.get(pk=renewal.pk).recurrence == MONTH_END
    assert renewal.history.order_by("-history_id").first().history_change_reason == (
        "Evidence and deadline set; repeats: every month on the last day"
    )
    page = client.get(reverse("projects:clause", args=[renewal.project.code, renewal.pk])).content.decode()
    assert "Repeats: Every month on the last day." in page


def test_it_ends_one_period_when_runs_race(transactional_db, world, pm):
    if connection.vendor != "postgresql":
        unavailable("the race of runs needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x")
    clause = add_clause(
        world["alpha_project"],
        pm,
        number="8.1",
        title="Renewal",
        evidence="document",
        evidence_document_kind="permit",
        deadline=D(2025, 3, 31),
        recurrence="FREQ=YEARLY",
    )
    ended: list[int] = []
    errors = race([lambda: ended.append(recurring.obligations_repeat_due(today=D(2025, 4, 1)))] * 4)
    assert not errors, errors
    assert sum(ended) == 1
    assert ObligationOccurrence.objects.filter(clause=clause).count() == 1
    assert Clause.objects.get(pk=clause.pk).deadline == D(2026, 3, 31)


def test_it_does_not_mark_a_period_met_before_it_begins(client, pm, renewal):
    with _at(D(2025, 3, 20)):
        recurring.obligation_period_met(clause=renewal, user=pm, due_date=D(2025, 3, 31))
        with pytest.raises(Refused, match=re.escape("The period due 31 Mar 2026 begins on 31 Mar 2025;")):
            recurring.obligation_period_met(clause=renewal, user=pm, due_date=D(2026, 3, 31))
        client.force_login(pm)
        page = client.get(reverse("projects:clause", args=[renewal.project.code, renewal.pk])).content.decode()
        assert "Met for the period due" not in page
    with _at(D(2025, 3, 31)):
        recurring.obligation_period_met(clause=renewal, user=pm, due_date=D(2026, 3, 31))
    assert Clause.objects.get(pk=renewal.pk).deadline == D(2027, 3, 31)


def test_it_asks_a_report_of_each_period_for_a_repeating_obligation_met_by_a_report(world, pm):
    """Last month's highlight report does not meet this month's obligation: only one sent in the period does."""
    project = world["alpha_project"]
    clause = add_clause(
        project,
        pm,
        number="9.3",
        title="Monthly highlight report",
        evidence="report",
        evidence_report_kind="highlight",
        deadline=D(2025, 1, 31),
        recurrence=MONTH_END,
    )

    def send_report(day: dt.date) -> None:
        report = factories.ReportFactory(project=project, audience="client")
        email = factories.OutboundEmailFactory(kind="report", to=["c@x.example"], status="sent")
        OutboundEmail.objects.filter(pk=email.pk).update(sent_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC))
        Delivery.objects.create(report=report, email_address="c@x.example", recipient_kind="extra", email=email)

    def state(today: dt.date) -> str:
        return next(r.state for r in obligation_rows(projects=Project.objects.all(), today=today) if r.clause == clause)

    send_report(D(2025, 1, 20))
    assert state(D(2025, 1, 25)) == "met"
    with _at(D(2025, 2, 3)):
        assert recurring.obligations_repeat_due() == 1
    assert ObligationOccurrence.objects.get(clause=clause).outcome == "met"
    clause.refresh_from_db()
    assert clause.deadline == D(2025, 2, 28)
    # February's period began on 31 January: January's report is not February's.
    assert state(D(2025, 2, 10)) == "due"
    send_report(D(2025, 2, 26))
    assert state(D(2025, 2, 27)) == "met"
