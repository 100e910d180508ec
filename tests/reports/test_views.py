"""Report pages: archive per scope and role, PDF download, "Send now" (queued, never rendered)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from apm.outbox.models import EmailStatus
from reports.models import Delivery, Report, ReportStatus
from tests import factories

pytestmark = pytest.mark.django_db


PDF_BYTES = b"%PDF-1.4\n% test pdf\n%%EOF\n"


def make_report(*, project=None, department=None, audience="internal", status=ReportStatus.RENDERED, title=None):
    scope = "project" if project is not None else "department"
    kind = "highlight" if project is not None else "portfolio"
    report = factories.ReportFactory(
        kind=kind,
        audience=audience,
        scope=scope,
        project=project,
        department=department,
        title=title or f"{kind} {audience} {(project or department).code}",
        period_start=dt.date(2025, 3, 1),
        status=status,
    )
    if status == ReportStatus.RENDERED:
        report.pdf.save(f"report-{report.pk}.pdf", ContentFile(PDF_BYTES), save=False)
        report.page_count = 3
        report.save(update_fields=["pdf", "page_count"])
    return report


@pytest.fixture
def archive(world):
    """Internal and client highlight reports of both projects, a portfolio report of each department."""
    return {
        "alpha_internal": make_report(project=world["alpha_project"]),
        "alpha_client": make_report(project=world["alpha_project"], audience="client"),
        "beta_internal": make_report(project=world["beta_project"]),
        "beta_client": make_report(project=world["beta_project"], audience="client"),
        "alpha_portfolio": make_report(department=world["alpha"]),
        "beta_portfolio": make_report(department=world["beta"]),
    }


@pytest.fixture
def no_broker(monkeypatch):
    """Tasks published after commit are recorded, not sent; rendering in the request fails the test."""
    published: list[tuple[str, tuple]] = []
    monkeypatch.setattr("apm.queueing.publish", lambda name, *args, countdown=None: published.append((name, args)))

    def refuse(*args, **kwargs):
        raise AssertionError("a PDF was rendered during the web request")

    monkeypatch.setattr("apm.pdf.html_to_pdf", refuse)
    monkeypatch.setattr("apm.pdf.html_to_pdf_document", refuse)
    monkeypatch.setattr("reports.rendering.html_to_pdf_document", refuse)
    monkeypatch.setattr("reports.rendering.report_render_snapshot", refuse)
    return published


# Which reports (archive keys) each role may download.
DOWNLOADS = {
    "admin": set(),  # filled below: everything
    "head": {"alpha_internal", "alpha_client", "alpha_portfolio"},
    "outside_head": {"alpha_internal", "alpha_client", "beta_internal", "beta_client", "beta_portfolio"},
    "pm": {"alpha_internal", "alpha_client"},
    # A team member sees the project, not its money: client-audience reports only.
    "member": {"alpha_client"},
    "client_user": {"alpha_client"},
    "other_client_user": {"beta_client"},
}
ALL_REPORTS = {"alpha_internal", "alpha_client", "beta_internal", "beta_client", "alpha_portfolio", "beta_portfolio"}
DOWNLOADS["admin"] = ALL_REPORTS


@pytest.mark.parametrize("role", sorted(DOWNLOADS))
def test_it_serves_each_role_exactly_its_pdfs_as_attachments(client, users, archive, role):
    client.force_login(users[role])
    for key, report in archive.items():
        response = client.get(reverse("reports:pdf", args=[report.pk]))
        if key in DOWNLOADS[role]:
            assert response.status_code == 200, key
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"].startswith("attachment;")
            assert b"".join(response.streaming_content) == PDF_BYTES
        else:
            assert response.status_code == 404, key


PROJECT_PAGES = {
    "admin": {"ALPHA-1", "BETA-1"},
    "head": {"ALPHA-1"},
    "outside_head": {"ALPHA-1", "BETA-1"},
    "pm": {"ALPHA-1"},
    "member": {"ALPHA-1"},
    "client_user": {"ALPHA-1"},
    "other_client_user": {"BETA-1"},
}
DEPARTMENT_PAGES = {
    "admin": {"ALPHA", "BETA"},
    "head": {"ALPHA"},
    "outside_head": {"BETA"},
    "pm": set(),
    "member": set(),
    "client_user": set(),
    "other_client_user": set(),
}


@pytest.mark.parametrize("role", sorted(PROJECT_PAGES))
def test_it_lists_each_scope_page_only_for_those_who_may_see_it(client, users, archive, role):
    client.force_login(users[role])
    for code in ("ALPHA-1", "BETA-1"):
        response = client.get(reverse("reports:project", args=[code]))
        assert response.status_code == (200 if code in PROJECT_PAGES[role] else 404), code
        if response.status_code == 200:
            listed = {r.pk for r in response.context["reports"]}
            expected = {archive[k].pk for k in DOWNLOADS[role] if k.startswith(code.split("-")[0].lower())}
            expected -= {archive[k].pk for k in ("alpha_portfolio", "beta_portfolio")}
            assert listed == expected
    for code in ("ALPHA", "BETA"):
        response = client.get(reverse("reports:department", args=[code]))
        assert response.status_code == (200 if code in DEPARTMENT_PAGES[role] else 404), code


@pytest.mark.parametrize("role", sorted(PROJECT_PAGES))
def test_it_indexes_the_departments_and_projects_each_role_may_see(client, world, users, role):
    client.force_login(users[role])
    response = client.get(reverse("reports:index"))
    assert response.status_code == 200
    assert {p.code for p in response.context["projects"]} == PROJECT_PAGES[role]
    assert {d.code for d in response.context["departments"]} == DEPARTMENT_PAGES[role]


def test_it_shows_a_client_only_client_reports_and_no_send_form(client, archive, client_user):
    client.force_login(client_user)
    response = client.get(reverse("reports:project", args=["ALPHA-1"]))
    html = response.content.decode()
    assert [r.audience for r in response.context["reports"]] == ["client"]
    assert "Send now" not in html
    assert archive["alpha_internal"].title not in html


def test_it_lists_reports_newest_first_with_delivery_counts(client, world, pm):
    project = world["alpha_project"]
    older = make_report(project=project, title="Older")
    Report.objects.filter(pk=older.pk).update(scheduled_for=timezone.now() - dt.timedelta(days=7))
    newer = make_report(project=project, title="Newer")
    for n, status in enumerate([EmailStatus.SENT, EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.QUEUED]):
        email = factories.OutboundEmailFactory(to=[f"r{n}@x.example"], status=status)
        Delivery.objects.create(report=newer, email_address=f"r{n}@x.example", recipient_kind="extra", email=email)
    Delivery.objects.create(report=newer, email_address="later@x.example", recipient_kind="extra")
    client.force_login(pm)
    response = client.get(reverse("reports:project", args=["ALPHA-1"]))
    reports = response.context["reports"]
    assert [r.title for r in reports] == ["Newer", "Older"]
    assert (reports[0].sent_count, reports[0].queued_count, reports[0].failed_count) == (2, 2, 1)
    assert (reports[1].sent_count, reports[1].queued_count, reports[1].failed_count) == (0, 0, 0)
    assert "2 sent · 2 queued" in response.content.decode()


def test_it_404s_a_pdf_that_is_not_rendered_or_whose_file_is_gone(client, world, admin_user):
    queued = make_report(project=world["alpha_project"], status=ReportStatus.QUEUED)
    failed = make_report(project=world["alpha_project"], status=ReportStatus.FAILED)
    gone = make_report(project=world["alpha_project"])
    gone.pdf.storage.delete(gone.pdf.name)
    client.force_login(admin_user)
    for report in (queued, failed, gone):
        assert client.get(reverse("reports:pdf", args=[report.pk])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/reports/abc/pdf/",
        "/reports/999999/pdf/",
        "/reports/99999999999999999999999/pdf/",
        "/reports/project/NOPE/",
        "/reports/department/NOPE/",
    ],
)
def test_it_answers_404_for_bad_urls(client, world, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/reports/project/NOPE/send/", "/reports/department/NOPE/send/"])
def test_it_answers_404_for_send_now_to_an_unknown_scope(client, world, admin_user, no_broker, url):
    client.force_login(admin_user)
    assert client.post(url, {"kind": "highlight", "audience": "internal"}).status_code == 404
    assert not Report.objects.exists()


# --- Send now ------------------------------------------------------------------------


def test_it_queues_exactly_one_report_on_send_now_and_renders_nothing(
    client, world, pm, no_broker, django_capture_on_commit_callbacks
):
    client.force_login(pm)
    page = client.get(reverse("reports:project", args=["ALPHA-1"]))
    assert "Send now" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:project_send", args=["ALPHA-1"]), {"kind": "highlight", "audience": "internal"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:project", args=["ALPHA-1"])
    report = Report.objects.get()
    assert report.status == ReportStatus.QUEUED
    assert not report.pdf
    assert (report.kind, report.audience, report.scope, report.project, report.requested_by) == (
        "highlight",
        "internal",
        "project",
        world["alpha_project"],
        pm,
    )
    assert [name for name, _ in no_broker] == ["reports.tasks.render_report"]
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Report queued; it will be emailed when ready."]


def test_it_queues_a_department_portfolio_report_for_its_head(client, world, head, no_broker):
    client.force_login(head)
    response = client.post(
        reverse("reports:department_send", args=["ALPHA"]), {"kind": "portfolio", "audience": "internal"}
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.scope, report.department, report.status) == ("department", world["alpha"], ReportStatus.QUEUED)


@pytest.mark.parametrize(
    ("url_args", "data"),
    [
        (("reports:project_send", "ALPHA-1"), {"kind": "portfolio", "audience": "internal"}),
        (("reports:project_send", "ALPHA-1"), {"kind": "highlight", "audience": "everyone"}),
        (("reports:department_send", "ALPHA"), {"kind": "portfolio", "audience": "client"}),
        (("reports:department_send", "ALPHA"), {}),
    ],
)
def test_it_rejects_kinds_and_audiences_not_valid_for_the_scope(client, world, head, no_broker, url_args, data):
    client.force_login(head)
    response = client.post(reverse(url_args[0], args=[url_args[1]]), data, follow=True)
    assert response.status_code == 200
    assert "cannot be sent" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("role", ["client_user", "member"])
def test_it_refuses_send_now_to_those_who_may_not_send(client, world, users, role, no_broker):
    client.force_login(users[role])
    for audience in ("internal", "client"):
        response = client.post(
            reverse("reports:project_send", args=["ALPHA-1"]), {"kind": "highlight", "audience": audience}
        )
        assert response.status_code == 403
    assert not Report.objects.exists()


def test_it_404s_send_now_for_a_project_or_department_not_visible(client, world, pm, head, no_broker):
    client.force_login(pm)
    data = {"kind": "highlight", "audience": "internal"}
    assert client.post(reverse("reports:project_send", args=["BETA-1"]), data).status_code == 404
    client.force_login(head)
    data = {"kind": "portfolio", "audience": "internal"}
    assert client.post(reverse("reports:department_send", args=["BETA"]), data).status_code == 404
    assert not Report.objects.exists()


def test_it_only_accepts_send_now_as_a_post(client, world, pm, no_broker):
    client.force_login(pm)
    assert client.get(reverse("reports:project_send", args=["ALPHA-1"])).status_code == 405
    assert not Report.objects.exists()


def test_it_requires_the_csrf_token_for_send_now(world, pm, no_broker):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm)
    data = {"kind": "highlight", "audience": "internal"}
    assert strict.post(reverse("reports:project_send", args=["ALPHA-1"]), data).status_code == 403
    assert not Report.objects.exists()


def test_it_offers_internal_users_both_audiences_for_a_project_only(client, world, head):
    client.force_login(head)
    project_form = client.get(reverse("reports:project", args=["ALPHA-1"])).context["send_form"]
    assert [v for v, _ in project_form.fields["audience"].choices] == ["internal", "client"]
    assert [v for v, _ in project_form.fields["kind"].choices] == ["highlight", "quality"]
    department_form = client.get(reverse("reports:department", args=["ALPHA"])).context["send_form"]
    assert [v for v, _ in department_form.fields["audience"].choices] == ["internal"]
    assert [v for v, _ in department_form.fields["kind"].choices] == ["portfolio", "quality"]


def test_it_polls_the_report_table_with_htmx_while_a_report_is_pending(client, world, pm):
    client.force_login(pm)
    rendered = make_report(project=world["alpha_project"])
    page = client.get(reverse("reports:project", args=["ALPHA-1"]))
    assert 'data-hx-trigger="every 5s"' not in page.content.decode()

    pending = make_report(project=world["alpha_project"], status=ReportStatus.RENDERING, title="Pending one")
    page = client.get(reverse("reports:project", args=["ALPHA-1"]))
    assert 'data-hx-trigger="every 5s"' in page.content.decode()

    partial = client.get(reverse("reports:project", args=["ALPHA-1"]), headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html
    assert 'id="report-table"' in html
    assert "Pending one" in html
    assert reverse("reports:pdf", args=[rendered.pk]) in html
    assert reverse("reports:pdf", args=[pending.pk]) not in html


def test_it_keeps_another_client_out_of_the_report_pages(client, archive, other_client_user):
    client.force_login(other_client_user)
    assert client.get(reverse("reports:project", args=["ALPHA-1"])).status_code == 404
    assert client.get(reverse("reports:pdf", args=[archive["alpha_client"].pk])).status_code == 404
    response = client.get(reverse("reports:project", args=["BETA-1"]))
    assert [r.pk for r in response.context["reports"]] == [archive["beta_client"].pk]


def test_it_uses_a_factory_department_code_case_insensitively(client, world, head):
    factories.DepartmentFactory(code="GAMMA").heads.add(head)
    client.force_login(head)
    assert client.get("/reports/department/gamma/").status_code == 200
