"""The registry of report kinds: one module per ``ReportKind`` value, each rendered for every audience it declares
and refused for the others, at request, at schedule save, in the command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from apm.errors import Refused
from apm.reporting import ReportKind
from reports.forms import ReportScheduleForm
from reports.kinds import KINDS, UnknownReportKind, kind_for, requestable_kinds
from reports.models import Audience, Report, ReportSchedule, Scope
from reports.rendering import report_render_snapshot
from reports.services import report_request
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.reports.scheduled import schedule_form_data

PERIOD_START = dt.date(2025, 6, 1)
PERIOD_END = dt.date(2025, 6, 30)


def scope_arguments(scope: str, world, pm) -> dict:
    """The keyword arguments naming ``scope`` and its object in the conftest world."""
    objects = {
        Scope.PROJECT: {"project": world["alpha_project"]},
        Scope.DEPARTMENT: {"department": world["alpha"]},
        Scope.PM_PORTFOLIO: {"project_manager": pm},
        Scope.COMPANY: {},
    }
    return {"scope": scope, **objects[Scope(scope)]}


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_it_has_one_kind_module_for_each_report_kind_in_the_enums_order():
    assert list(KINDS) == ReportKind.values
    for value, spec in KINDS.items():
        assert (spec.value, spec.label) == (value, ReportKind(value).label)
        assert spec.scopes
        assert spec.audiences
        assert spec.template.startswith("reports/pdf/")


def test_it_names_the_known_kinds_when_asked_for_an_unknown_one():
    with pytest.raises(UnknownReportKind, match="Unknown report kind 'weekly'; expected one of highlight, portfolio"):
        kind_for("weekly")
    assert issubclass(UnknownReportKind, ValueError)


DECLARED = [(kind, audience) for kind, spec in KINDS.items() for audience in spec.audiences]
UNDECLARED = [
    (kind, audience) for kind, spec in KINDS.items() for audience in Audience.values if audience not in spec.audiences
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "audience"), DECLARED)
def test_it_renders_every_kind_for_every_audience_it_declares(world, pm, cost_exception, kind, audience):
    spec = KINDS[kind]
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 6, 27))
    title = spec.title(subject="Registry check", on=PERIOD_END)
    for scope in spec.scopes:
        if audience == Audience.CLIENT and scope != Scope.PROJECT:
            continue  # a client-audience report covers one project, whatever the kind
        snapshot = report_build_snapshot(
            kind=kind,
            audience=audience,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            title=title,
            tolerance_exception_id=cost_exception.pk if spec.about_exception else None,
            **scope_arguments(scope, world, pm),
        )
        assert (snapshot["kind"], snapshot["audience"], snapshot["title"]) == (kind, audience, title)
        rendered = report_render_snapshot(snapshot)
        assert rendered.pdf.startswith(b"%PDF")
        text = pdf_text(rendered.pdf)
        assert title in text
        assert (
            "Internal: contains cost figures" if audience == Audience.INTERNAL else "Prepared for the client"
        ) in text


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "audience"), UNDECLARED)
def test_it_refuses_every_kind_for_every_audience_it_does_not_declare(
    world, pm, admin_user, cost_exception, tmp_path, kind, audience
):
    spec = KINDS[kind]
    scope = spec.scopes[0]
    expected = spec.refusal(scope=scope, audience=audience)
    assert expected
    with pytest.raises(Refused) as refused:
        report_request(kind=kind, audience=audience, requested_by=admin_user, **scope_arguments(scope, world, pm))
    assert refused.value.message == expected
    assert not Report.objects.exists()

    form = ReportScheduleForm(data=schedule_data(world, kind=kind, audience=audience, scope=scope), user=admin_user)
    assert not form.is_valid()
    assert not ReportSchedule.objects.exists()

    where = ["--exception", str(cost_exception.pk)] if spec.about_exception else ["--project", "ALPHA-1"]
    if scope == Scope.DEPARTMENT:
        where = ["--department", "ALPHA"]
    output = tmp_path / "refused.pdf"
    with pytest.raises(CommandError, match=expected):
        call_command("render_report", "--kind", kind, *where, "--audience", audience, "--output", output)
    assert not output.exists()


@pytest.mark.django_db
def test_it_keeps_exception_and_department_portfolio_reports_internal(world, admin_user, cost_exception):
    assert KINDS[ReportKind.EXCEPTION].audiences == (Audience.INTERNAL,)
    assert KINDS[ReportKind.PORTFOLIO].audiences == (Audience.INTERNAL,)
    with pytest.raises(Refused, match="client-audience report covers one project"):
        report_request(
            kind="portfolio", audience="client", scope="department", department=world["alpha"], requested_by=admin_user
        )
    with pytest.raises(ValueError, match="internal"):
        report_build_snapshot(
            kind="exception",
            audience="client",
            scope="project",
            project=world["alpha_project"],
            period_start=None,
            period_end=PERIOD_END,
            title="x",
            tolerance_exception_id=cost_exception.pk,
        )
    assert not Report.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "scope"),
    [(kind, scope) for kind, spec in KINDS.items() for scope in Scope.values if scope not in spec.scopes],
)
def test_it_refuses_every_kind_for_every_scope_it_does_not_cover(world, pm, admin_user, kind, scope):
    spec = KINDS[kind]
    with pytest.raises(Refused, match=f"covers .*: use scope {spec.scopes[0].value!r}"):
        report_request(kind=kind, audience="internal", requested_by=admin_user, **scope_arguments(scope, world, pm))
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_it_never_lets_anyone_schedule_an_exception_report_nor_request_one_without_an_open_exception(world, admin_user):
    with pytest.raises(Refused, match="ALPHA-1 has no open tolerance exception"):
        report_request(
            kind="exception",
            audience="internal",
            scope="project",
            project=world["alpha_project"],
            requested_by=admin_user,
        )
    with pytest.raises(Refused, match="covers one project"):
        report_request(
            kind="exception",
            audience="internal",
            scope="department",
            department=world["alpha"],
            requested_by=admin_user,
        )
    form = ReportScheduleForm(user=admin_user)
    offered = [value for value, _label in form.fields["kind"].choices]
    assert offered == [spec.value for spec in requestable_kinds()] == ["highlight", "portfolio", "quality"]


@pytest.mark.django_db
def test_it_schedules_a_kind_the_form_did_not_offer_before(world, head):
    """A quality report of a department: offered by the schedule form because its module declares it."""
    data = schedule_data(world, kind="quality", audience="internal", scope="department")
    form = ReportScheduleForm(data=data, user=head)
    assert form.is_valid(), form.errors


def schedule_data(world, *, kind: str, audience: str, scope: str) -> dict:
    objects = {
        Scope.PROJECT: {"project": world["alpha_project"].pk},
        Scope.DEPARTMENT: {"department": world["alpha"].pk},
    }
    data = schedule_form_data(
        name=f"{kind} {audience}", kind=kind, audience=audience, scope=scope, **objects.get(Scope(scope), {})
    )
    return data | {"send_to_client_contacts": "on"}
