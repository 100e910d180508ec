"""Schedules in the browser (list, create, edit, validation, pause/resume, preview, send now) and the outbox page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from apm.outbox.models import EmailStatus, OutboundEmail
from reports.models import Delivery, Report, ReportSchedule
from tests import factories
from tests.reports.scheduled import schedule_form_data

NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)
    monkeypatch.setattr("apm.outbox.services.publish", lambda task, *args, countdown=None: True)


def form_data(world, **overrides):
    data = schedule_form_data(
        name="Alpha Monday", kind="portfolio", audience="internal", scope="department", department=world["alpha"].pk
    )
    return data | {"weekdays": ["1", "4"]} | overrides


@time_machine.travel(NOW, tick=False)
def test_it_creates_a_schedule_and_sets_its_next_run(client, head, world):
    client.force_login(head)
    response = client.post(reverse("reports:schedule_create"), form_data(world))
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get(name="Alpha Monday")
    assert schedule.weekdays == [1, 4]
    assert schedule.created_by == head
    # Thursday 5 June 09:00 BST.
    assert schedule.next_run_at == dt.datetime(2025, 6, 5, 8, 0, tzinfo=dt.UTC)
    assert "Alpha Monday" in client.get(reverse("reports:schedules")).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "is not a time zone"),
        ({"weekdays": []}, "Choose at least one weekday"),
        ({"send_to_reporting_heads": ""}, "The schedule has no recipients"),
        ({"extra_recipients": "not-an-address", "send_to_reporting_heads": ""}, "Not valid email addresses"),
        ({"extra_recipients": "ann@acme.example"}, "never sent to client contacts"),
        ({"audience": "client"}, "client-audience report covers one project"),
    ],
)
def test_it_explains_what_is_wrong_and_saves_nothing(client, head, world, overrides, message):
    client.force_login(head)
    response = client.post(reverse("reports:schedule_create"), form_data(world, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize("field", ["kind", "audience", "scope"])
def test_it_names_only_the_missing_field_when_kind_audience_or_scope_is_missing(client, head, world, field):
    client.force_login(head)
    response = client.post(reverse("reports:schedule_create"), form_data(world, **{field: ""}))
    assert response.status_code == 200
    assert response.context["form"].errors == {field: ["This field is required."]}
    assert not ReportSchedule.objects.exists()


def test_it_offers_only_visible_departments_and_hides_others_schedules(client, head, world):
    other = factories.ReportScheduleFactory(name="Beta only", department=world["beta"])
    client.force_login(head)
    response = client.post(reverse("reports:schedule_create"), form_data(world, department=world["beta"].pk))
    assert response.status_code == 200
    assert not ReportSchedule.objects.filter(created_by=head).exists()
    assert "Beta only" not in client.get(reverse("reports:schedules")).content.decode()
    assert client.get(reverse("reports:schedule_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("reports:schedule_toggle", args=[other.pk])).status_code == 404


def test_it_is_404_for_team_members_and_clients(client, member, client_user, world):
    schedule = factories.ReportScheduleFactory(department=world["alpha"])
    for user in (member, client_user):
        client.force_login(user)
        assert client.get(reverse("reports:schedules")).status_code == 404
        assert client.get(reverse("reports:schedule_preview", args=[schedule.pk, "html"])).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_it_pauses_and_resumes_without_a_burst(client, head, world):
    schedule = factories.ReportScheduleFactory(department=world["alpha"], next_run_at=NOW)
    client.force_login(head)
    client.post(reverse("reports:schedule_toggle", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert (schedule.active, schedule.next_run_at) == (False, None)
    with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
        client.force_login(head)  # the session of a month ago has expired
        assert client.post(reverse("reports:schedule_toggle", args=[schedule.pk])).status_code == 302
    schedule.refresh_from_db()
    assert schedule.active
    assert schedule.next_run_at > NOW + dt.timedelta(days=30)


@time_machine.travel(NOW, tick=False)
def test_it_previews_the_next_report_as_html_and_pdf_and_sends_nothing(client, pm, world):
    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 6, 2), work_done="Preview work done")
    schedule = factories.ProjectReportScheduleFactory(project=project, weekdays=[1])
    client.force_login(pm)
    html = client.get(reverse("reports:schedule_preview", args=[schedule.pk, "html"])).content.decode()
    assert "PREVIEW" in html
    assert "Preview work done" in html
    response = client.get(reverse("reports:schedule_preview", args=[schedule.pk, "pdf"]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Preview work done" in text
    assert not Report.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_it_serves_the_print_preview_with_no_inline_style_and_no_script(client, pm, world):
    # The preview is the print HTML WeasyPrint reads, shown under the site's style policy, with no script.
    schedule = factories.ProjectReportScheduleFactory(project=world["alpha_project"], weekdays=[1])
    client.force_login(pm)
    response = client.get(reverse("reports:schedule_preview", args=[schedule.pk, "html"]))
    directives = {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split(";")}
    assert directives["style-src"] == ["'self'"]
    assert directives["script-src"] == ["'none'"]
    assert "style=" not in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_it_queues_a_report_on_send_now(client, head, world):
    schedule = factories.ReportScheduleFactory(department=world["alpha"])
    client.force_login(head)
    client.post(reverse("reports:schedule_send", args=[schedule.pk]))
    report = Report.objects.get()
    assert (report.kind, report.department, report.status) == ("portfolio", world["alpha"], "queued")


def make_delivery(world, status, *, title="Alpha weekly"):
    report = Report.objects.create(
        kind="portfolio", audience="internal", scope="department", department=world["alpha"], title=title,
        scheduled_for=NOW, period_end=dt.date(2025, 6, 2), queued_at=NOW, status="rendered",
    )  # fmt: skip
    email = OutboundEmail.objects.create(
        kind="report", message_id=f"<{title}-{status}@x>", from_email="a@x", to=["h@x.example"], subject=title,
        body_text="b", status=status, tries=8 if status == "failed" else 1, last_error="SMTPServerDisconnected: gone",
        queued_at=NOW,
    )  # fmt: skip
    return Delivery.objects.create(
        report=report, email_address="h@x.example", recipient_kind="reporting_head", email=email
    )


def test_it_lists_deliveries_with_status_tries_and_error_and_resends_a_failed_one(client, head, world):
    failed = make_delivery(world, EmailStatus.FAILED)
    make_delivery(world, EmailStatus.SENT, title="Other")
    client.force_login(head)
    page = client.get(reverse("reports:outbox")).content.decode()
    assert "SMTPServerDisconnected: gone" in page
    assert "Failed" in page
    assert "Sent" in page
    client.post(reverse("reports:outbox_resend", args=[failed.pk]))
    failed.email.refresh_from_db()
    assert (failed.email.status, failed.email.tries) == (EmailStatus.QUEUED, 0)
    assert failed.email.message_id == "<Alpha weekly-failed@x>"


def test_it_shows_deliveries_only_to_administrators_and_the_reports_owners(client, outside_head, member, world):
    delivery = make_delivery(world, EmailStatus.FAILED)
    client.force_login(outside_head)  # heads BETA: not this department's report
    assert "h@x.example" not in client.get(reverse("reports:outbox")).content.decode()
    assert client.post(reverse("reports:outbox_resend", args=[delivery.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("reports:outbox")).status_code == 404


def test_it_searches_the_archive_by_project_department_kind_and_date(client, head, client_user, world):
    def report(**fields):
        base = {
            "kind": "highlight", "audience": "internal", "scope": "project", "title": "R",
            "scheduled_for": NOW, "period_end": dt.date(2025, 6, 2), "queued_at": NOW, "status": "rendered",
        }  # fmt: skip
        return Report.objects.create(**{**base, **fields})

    alpha_hl = report(project=world["alpha_project"], title="Alpha highlight June")
    alpha_old = report(project=world["alpha_project"], title="Alpha highlight Jan", period_end=dt.date(2025, 1, 6))
    portfolio = report(kind="portfolio", scope="department", department=world["alpha"], title="Alpha portfolio")
    beta = report(project=world["beta_project"], title="Beta highlight")
    client_copy = report(project=world["alpha_project"], audience="client", title="Alpha client copy")
    url = reverse("reports:archive")

    def titles(user, **query):
        client.force_login(user)
        return {r.title for r in client.get(url, query).context["reports"]}

    assert titles(head) == {r.title for r in (alpha_hl, alpha_old, portfolio, client_copy)}
    assert beta.title not in titles(head, project="BETA")
    assert titles(head, project="alpha-1", kind="highlight") == {alpha_hl.title, alpha_old.title, client_copy.title}
    assert titles(head, department="alpha", kind="portfolio") == {portfolio.title}
    assert titles(head, project="ALPHA", date_from="2025-05-01", date_to="2025-06-30") == {
        alpha_hl.title,
        client_copy.title,
    }
    assert titles(head, date_from="2025-07-01", date_to="2025-06-01") == set()
    assert titles(client_user) == {client_copy.title}


@time_machine.travel(NOW, tick=False)
def test_it_schedules_a_pms_own_portfolio_monthly_on_the_last_working_day(client, pm, world):
    client.force_login(pm)
    data = form_data(
        world, name="My portfolio", scope="pm_portfolio", department="", project_manager=pm.pk,
        frequency="monthly", weekdays=[], day_of_month="29",
    )  # fmt: skip
    response = client.post(reverse("reports:schedule_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = ReportSchedule.objects.get(name="My portfolio")
    assert (schedule.scope, schedule.project_manager, schedule.department) == ("pm_portfolio", pm, None)
    # The last working day of June 2025 is Monday the 30th, 09:00 BST.
    assert schedule.next_run_at == dt.datetime(2025, 6, 30, 8, 0, tzinfo=dt.UTC)
    assert "My portfolio" in client.get(reverse("reports:schedules")).content.decode()


def test_it_offers_the_company_scope_to_administrators_only(client, head, admin_user, world):
    client.force_login(head)
    response = client.post(reverse("reports:schedule_create"), form_data(world, scope="company", department=""))
    assert response.status_code == 200
    assert not ReportSchedule.objects.exists()
    client.force_login(admin_user)
    response = client.post(reverse("reports:schedule_create"), form_data(world, scope="company", department=""))
    assert response.status_code == 302
    assert ReportSchedule.objects.get().scope == "company"
