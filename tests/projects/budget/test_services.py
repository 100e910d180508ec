"""Budget services: costed time, receipts, baselines, exceptions raised once, alerts, contingency."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects.budget import selectors
from projects.budget.services import checks, contingency, costs, plan
from projects.models import (
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    ContingencyState,
    Expense,
    StatusUpdate,
    TimeEntry,
    ToleranceException,
)
from reports.models import Report
from reports.rendering import report_render_snapshot
from reports.snapshot import report_build_snapshot
from teams.services import member_rate_set
from tests import factories
from tests.projects.steps import set_contingency_reserve

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def project(world, pm):
    project = world["alpha_project"]
    project.start_date, project.end_date = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    project.bac = None  # no budget yet: the lines make the BAC
    project.save()
    plan.budget_line_add(project=project, category="labour", amount=D("80000"), actor=pm)
    plan.budget_line_add(project=project, category="travel", amount=D("20000"), actor=pm)
    return project


@pytest.fixture
def mo(project):
    member = project.team_members.get()
    member_rate_set(member=member, cost_rate=D("50.00"), bill_rate=D("90.00"), valid_from=dt.date(2024, 1, 1))
    return member


def test_it_sets_bac_to_the_sum_of_the_lines_with_an_audit_trail(project):
    project.refresh_from_db()
    assert project.bac == D("100000.00")
    assert list(BudgetEvent.objects.filter(project=project).values_list("action", flat=True)) == [
        "line_added",
        "line_added",
    ]


def test_it_costs_time_at_the_rate_of_its_date_and_a_rate_change_leaves_past_costs_unchanged(project, mo, member):
    with time_machine.travel(dt.datetime(2025, 1, 20, 12, tzinfo=LONDON)):
        first = costs.time_entry_record(
            member=mo, project=project, date=dt.date(2025, 1, 10), hours=D("7.5"), actor=member
        )
    assert (first.cost_rate, first.cost) == (D("50.00"), D("375.00"))
    member_rate_set(member=mo, cost_rate=D("80.00"), bill_rate=D("120.00"), valid_from=dt.date(2025, 2, 1))
    with time_machine.travel(dt.datetime(2025, 2, 5, 12, tzinfo=LONDON)):
        later = costs.time_entry_record(member=mo, project=project, date=dt.date(2025, 2, 3), hours=D("2"))
        backdated = costs.time_entry_record(member=mo, project=project, date=dt.date(2025, 1, 31), hours=D("1"))
    first.refresh_from_db()
    assert (first.cost_rate, first.cost) == (D("50.00"), D("375.00"))
    assert later.cost == D("160.00")
    assert backdated.cost == D("50.00")


def test_it_refuses_time_off_the_team_or_without_a_rate(project, mo, world):
    stranger = factories.TeamMemberFactory()
    member_rate_set(member=stranger, cost_rate=D("10"), bill_rate=D("20"), valid_from=dt.date(2024, 1, 1))
    with pytest.raises(Refused, match="not on the team"):
        costs.time_entry_record(member=stranger, project=project, date=dt.date(2025, 1, 2), hours=D("1"))
    with pytest.raises(Refused, match="no cost rate"):
        costs.time_entry_record(member=mo, project=project, date=dt.date(2023, 1, 2), hours=D("1"))
    with pytest.raises(Refused, match="at most 24"):
        costs.time_entry_record(member=mo, project=project, date=dt.date(2025, 1, 2), hours=D("25"))
    assert TimeEntry.objects.count() == 0


def test_it_stores_a_receipt_checked_by_content_in_private_storage(project, pm, settings):
    upload = SimpleUploadedFile("taxi.png", PNG, content_type="application/pdf")
    expense = costs.expense_record(
        project=project,
        date=dt.date(2025, 1, 3),
        amount=D("42.50"),
        category="travel",
        supplier="Cab Co",
        receipt=upload,
        actor=pm,
    )
    assert expense.receipt_content_type == "image/png"
    path = expense.receipt.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError, match="no URL"):
        expense.receipt.url  # noqa: B018


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.pdf", b"MZ\x90\x00 this is an exe", "PDF, PNG or JPEG"),
        ("notes.png", b"just text", "PDF, PNG or JPEG"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", PDF + b"0" * 200, "limit"),
    ],
)
def test_it_refuses_bad_receipts_and_changes_nothing(project, pm, monkeypatch, name, content, message):
    monkeypatch.setattr(costs, "RECEIPT_MAX_BYTES", 100)  # small, so that a receipt over the limit is small too
    with pytest.raises(Refused, match=message):
        costs.expense_record(
            project=project,
            date=dt.date(2025, 1, 3),
            amount=D("10"),
            category="travel",
            supplier="X",
            receipt=SimpleUploadedFile(name, content),
            actor=pm,
        )
    assert Expense.objects.count() == 0


def test_it_keeps_old_baselines_when_a_new_one_is_set(project, pm):
    first = plan.baseline_create(project=project, reason="Initial plan", actor=pm)
    plan.budget_line_add(project=project, category="materials", amount=D("5000"), actor=pm)
    second = plan.baseline_create(project=project, reason="CR-7 approved", change_reference="CR-7", actor=pm)
    first.refresh_from_db()
    assert (first.number, first.is_current, first.bac) == (1, False, D("100000.00"))
    assert (second.number, second.is_current, second.bac) == (2, True, D("105000.00"))
    assert Baseline.objects.filter(project=project).count() == 2
    compare = plan.baseline_compare(project=project, baseline=first)
    assert compare["rows"][0]["change"] == D("5000.00")


def _spend(project, amount, on):
    Expense.objects.create(project=project, date=on, amount=amount, currency="GBP", category="travel", supplier="S")


def _progress(project, pct, on):
    StatusUpdate.objects.update_or_create(project=project, as_of=on, defaults={"percent_complete": pct, "rag": "amber"})


def test_it_raises_an_exception_once_per_breach_and_again_only_after_recovery(project, pm, head, outside_head):
    # Plan: 100,000 over 2025. End of June: 50% done (on schedule) for 60,000 -> EAC 120,000, +20% against ±10%.
    _progress(project, D("50"), dt.date(2025, 6, 30))
    _spend(project, D("60000"), dt.date(2025, 6, 1))
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=LONDON)):
        first = checks.budget_check(project=project)
        again = checks.budget_check(project=project)
    assert [e.kind for e in first.raised] == ["cost"]
    assert again.raised == []
    cost = ToleranceException.objects.get(kind="cost")
    assert cost.state == "open"
    assert cost.figures["eac"] == "120000.00"
    assert cost.figures["actual"] == "+20.0%"
    # PM, the reporting head and the department's head are told once; the exception report is queued once.
    notices = OutboundEmail.objects.filter(subject__startswith="Exception: ALPHA-1 cost")
    assert notices.count() == 1
    assert set(notices.get().to) == {pm.email, outside_head.email, head.email}
    assert Report.objects.filter(kind="exception", tolerance_exception=cost).count() == 1

    # Back inside tolerance: 55% done for 60,000 -> EAC 109,091 (+9.1%).
    _progress(project, D("55"), dt.date(2025, 7, 15))
    with time_machine.travel(dt.datetime(2025, 7, 15, 12, tzinfo=LONDON)):
        recovered = checks.budget_check(project=project)
    assert [e.pk for e in recovered.closed] == [cost.pk]
    assert recovered.raised == []
    cost.refresh_from_db()
    assert cost.state == "closed"
    assert cost.closed_at is not None

    # Broken again: a new row, a new notice, a new report.
    _spend(project, D("30000"), dt.date(2025, 7, 20))
    with time_machine.travel(dt.datetime(2025, 7, 31, 12, tzinfo=LONDON)):
        again = checks.budget_check(project=project)
        checks.budget_check(project=project)
    assert "cost" in [e.kind for e in again.raised]
    assert ToleranceException.objects.filter(kind="cost").count() == 2
    assert ToleranceException.objects.filter(kind="cost", state="open").count() == 1
    assert OutboundEmail.objects.filter(subject__startswith="Exception: ALPHA-1 cost").count() == 2
    assert Report.objects.filter(kind="exception", tolerance_exception__kind="cost").count() == 2


def test_it_raises_a_time_exception_when_the_forecast_finish_slips_past_tolerance(project, pm):
    # End of June, plan 49.6% but only 30% done: SPI ~0.6 -> finish months late.
    _progress(project, D("30"), dt.date(2025, 6, 30))
    _spend(project, D("30000"), dt.date(2025, 6, 1))
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=LONDON)):
        # No baseline agreed yet: no time tolerance to break.
        assert checks.budget_check(project=project).raised == []
        plan.baseline_create(project=project, reason="Plan agreed", actor=pm)
        result = checks.budget_check(project=project)
    assert [e.kind for e in result.raised] == ["time"]
    figures = result.raised[0].figures
    assert figures["tolerance"] == "±14 days"
    assert figures["baseline_finish"] == "2025-12-31"


def test_it_renders_the_exception_report_naming_the_tolerance_and_figures(project):
    _progress(project, D("50"), dt.date(2025, 6, 30))
    _spend(project, D("60000"), dt.date(2025, 6, 1))
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=LONDON)):
        exception = checks.budget_check(project=project).raised[0]
    report = Report.objects.get(tolerance_exception=exception)
    snapshot = report_build_snapshot(
        kind=report.kind,
        audience=report.audience,
        scope=report.scope,
        project=report.project,
        period_start=None,
        period_end=report.period_end,
        title=report.title,
        tolerance_exception_id=exception.pk,
    )
    rendered = report_render_snapshot(snapshot)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered.pdf)).pages).split())
    assert "Cost tolerance broken" in text
    assert "±10% of BAC" in text
    assert "+20.0%" in text
    assert "£120,000" in text  # EAC
    assert "£100,000" in text  # BAC
    assert "-£20,000" in text  # VAC
    assert "<svg" in rendered.html


def test_it_refuses_a_client_audience_exception_report(project):
    _progress(project, D("40"), dt.date(2025, 6, 30))
    _spend(project, D("50000"), dt.date(2025, 6, 1))
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=LONDON)):
        exception = checks.budget_check(project=project).raised[0]
    with pytest.raises(ValueError, match="internal"):
        report_build_snapshot(
            kind="exception",
            audience="client",
            scope="project",
            project=project,
            period_start=None,
            period_end=dt.date(2025, 6, 30),
            title="x",
            tolerance_exception_id=exception.pk,
        )


def test_it_sends_each_budget_threshold_alert_once(project):
    _progress(project, D("80"), dt.date(2025, 9, 30))
    _spend(project, D("76000"), dt.date(2025, 9, 1))
    with time_machine.travel(dt.datetime(2025, 9, 30, 12, tzinfo=LONDON)):
        first = checks.budget_check(project=project)
        second = checks.budget_check(project=project)
    assert [a.threshold for a in first.alerts] == [50, 75]
    assert second.alerts == []
    _spend(project, D("15000"), dt.date(2025, 9, 2))
    with time_machine.travel(dt.datetime(2025, 9, 30, 13, tzinfo=LONDON)):
        third = checks.budget_check(project=project)
    assert [a.threshold for a in third.alerts] == [90]
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [50, 75, 90]
    assert OutboundEmail.objects.filter(subject__startswith="Budget alert").count() == 2


def test_it_changes_the_budget_only_when_contingency_is_approved(project, pm, head, outside_head, member):
    set_contingency_reserve(project, pm, D("10000"))
    with pytest.raises(Refused):
        contingency.contingency_request(project=project, amount=D("1000"), category="labour", reason="x", actor=member)
    with pytest.raises(Refused, match="left in the contingency"):
        contingency.contingency_request(project=project, amount=D("20000"), category="labour", reason="x", actor=pm)
    request = contingency.contingency_request(
        project=project, amount=D("4000"), category="labour", reason="Extra tester", actor=pm
    )
    project.refresh_from_db()
    assert project.bac == D("100000.00")
    with pytest.raises(Refused):
        contingency.contingency_decide(request=request, approve=True, actor=pm)
    decided = contingency.contingency_decide(request=request, approve=True, note="Go", actor=head)
    project.refresh_from_db()
    assert decided.state == ContingencyState.APPROVED
    assert project.bac == D("104000.00")
    assert project.budget.contingency_reserve == D("6000.00")
    assert BudgetEvent.objects.filter(project=project, action="contingency_approved").count() == 1
    with pytest.raises(Refused, match="already approved"):
        contingency.contingency_decide(request=request, approve=False, actor=outside_head)
    assert OutboundEmail.objects.filter(subject__startswith="Contingency request approved", to=[pm.email]).exists()

    rejected = contingency.contingency_request(
        project=project, amount=D("1000"), category="travel", reason="y", actor=pm
    )
    contingency.contingency_decide(request=rejected, approve=False, actor=outside_head)
    project.refresh_from_db()
    assert project.bac == D("104000.00")
    assert project.budget.contingency_reserve == D("6000.00")


def test_it_computes_project_metrics_from_the_database(project, mo):
    _progress(project, D("25"), dt.date(2025, 3, 31))
    with time_machine.travel(dt.datetime(2025, 3, 31, 12, tzinfo=LONDON)):
        costs.time_entry_record(member=mo, project=project, date=dt.date(2025, 3, 3), hours=D("8"))
    _spend(project, D("600"), dt.date(2025, 3, 4))
    _spend(project, D("999"), dt.date(2025, 4, 4))  # after as_of: not counted
    metrics = selectors.project_metrics(project=project, as_of=dt.date(2025, 3, 31))
    assert metrics.ac == D("1000.00")
    assert metrics.ev == D("25000.00")
    assert metrics.bac == D("100000.00")
    # Linear: 90 of 365 days planned.
    assert metrics.pv == D("24657.53")


def test_it_refuses_self_approval_and_approval_by_a_reporting_head_who_is_not_a_head(project, pm, head, member):
    set_contingency_reserve(project, pm, D("10000"))
    # A head who also manages the project asks for money: they may not approve it themselves.
    project.project_manager = head
    project.save()
    own = contingency.contingency_request(project=project, amount=D("500"), category="labour", reason="x", actor=head)
    with pytest.raises(Refused, match="another head must decide"):
        contingency.contingency_decide(request=own, approve=True, actor=head)
    # A team member listed as a reporting head receives reports but decides nothing.
    project.reporting_heads.add(member)
    with pytest.raises(Refused):
        contingency.contingency_decide(request=own, approve=True, actor=member)
    own.refresh_from_db()
    assert own.state == "pending"
    assert plan.budget_get(project=project).contingency_reserve == D("10000")


def test_it_sends_the_exception_report_to_the_pm_reporting_heads_and_department_heads(project, pm, head, outside_head):
    from reports.selectors import report_recipients

    _progress(project, D("50"), dt.date(2025, 6, 30))
    _spend(project, D("60000"), dt.date(2025, 6, 1))
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, tzinfo=LONDON)):
        exception = checks.budget_check(project=project).raised[0]
    report = Report.objects.get(tolerance_exception=exception)
    addresses = {recipient.address for recipient in report_recipients(report=report)}
    assert addresses == {pm.email, outside_head.email, head.email}


def test_it_splits_an_existing_bac_instead_of_replacing_it(world, pm):
    # An imported project: BAC 1,000,000 and no budget lines yet.
    project = world["alpha_project"]
    assert project.bac == D("1000000.00")
    plan.budget_line_add(project=project, category="labour", amount=D("300000"), actor=pm)
    project.refresh_from_db()
    assert project.bac == D("1000000.00")
    lines = {(line.category, line.unallocated): line.amount for line in project.budget_lines.all()}
    assert lines == {("labour", False): D("300000.00"), ("other", True): D("700000.00")}
    # Later lines come out of the unallocated rest; once it is used up, BAC grows.
    plan.budget_line_add(project=project, category="travel", amount=D("800000"), actor=pm)
    project.refresh_from_db()
    assert project.bac == D("1100000.00")
    assert not project.budget_lines.filter(unallocated=True).exists()
    assert sum(line.amount for line in project.budget_lines.all()) == project.bac


def test_it_adds_a_line_as_new_money_or_from_the_remainder_as_asked(world, pm):
    project = world["alpha_project"]  # BAC 1,000,000, not yet split into lines
    plan.budget_line_add(project=project, category="labour", amount=D("18000"), actor=pm, from_unallocated=False)
    project.refresh_from_db()
    assert project.bac == D("1018000.00")
    plan.budget_line_add(project=project, category="travel", amount=D("5000"), actor=pm, from_unallocated=True)
    project.refresh_from_db()
    assert project.bac == D("1018000.00")
    assert plan.unallocated_remainder(project=project) == D("995000.00")
    with pytest.raises(Refused, match=r"unallocated remainder holds only £995,000"):
        plan.budget_line_add(project=project, category="travel", amount=D("995001"), actor=pm, from_unallocated=True)
    assert project.budget_lines.count() == 3


def test_it_funds_a_change_from_the_reserve_only_while_the_reserve_holds_it(project, pm):
    set_contingency_reserve(project, pm, D("20000"))
    with pytest.raises(Refused, match=r"contingency reserve holds only £20,000"):
        contingency.contingency_fund_change(
            project=project, amount=D("20001"), category="labour", description="CR-1", change_reference="CR-1", actor=pm
        )
    project.refresh_from_db()
    assert (project.bac, project.budget.contingency_reserve) == (D("100000.00"), D("20000.00"))
    contingency.contingency_fund_change(
        project=project, amount=D("18000"), category="labour", description="CR-1", change_reference="CR-1", actor=pm
    )
    project.refresh_from_db()
    assert (project.bac, project.budget.contingency_reserve) == (D("118000.00"), D("2000.00"))
    event = BudgetEvent.objects.get(project=project, action="contingency_used")
    assert event.detail == {"change": "CR-1", "amount": "18000.00", "reserve_left": "2000.00", "bac": "118000.00"}


def test_it_keeps_a_typed_bac_when_a_contingency_drawdown_is_approved(world, pm, head):
    # A BAC set before any budget line (imported, or typed on the project form) is not replaced by the drawdown.
    project = factories.ProjectFactory(
        code="DRAW-1", bac=D("1000000"), project_manager=pm, departments=[world["alpha"]]
    )
    set_contingency_reserve(project, pm, D("20000"))
    request = contingency.contingency_request(
        project=project, amount=D("5000"), category="labour", reason="x", actor=pm
    )
    contingency.contingency_decide(request=request, approve=True, note="Go", actor=head)
    project.refresh_from_db()
    assert project.bac == D("1005000.00")
    assert project.budget.contingency_reserve == D("15000.00")


def test_it_refuses_to_remove_a_budget_line_that_is_already_gone_and_writes_nothing(db, world, pm):
    project = world["alpha_project"]
    line = plan.budget_line_add(project=project, category="travel", amount=Decimal("500"), actor=pm)
    BudgetLine.objects.filter(pk=line.pk).delete()
    events = BudgetEvent.objects.count()
    with pytest.raises(Refused, match="already removed"):
        plan.budget_line_remove(line=line, actor=pm)
    assert BudgetEvent.objects.count() == events
