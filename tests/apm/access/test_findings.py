"""Regressions of the outside review's findings about access (each failed before the one access model).

1. Internal reports to someone only on the team (send now, schedules, extra outside addresses, a schedule
   that kept sending after its creator left).
2. Money on pages for team members; a head on another department's team saw that person's rates.
3. A PM could re-point a project at any client.
8. The internal audience offered to people who may not use it; internal emails not marked as such.

(4-7 are in tests/projects/quality/test_evidence_links.py, tests/apm/test_exports.py,
tests/apm/accounts/test_security.py and tests/apm/test_admin_site.py.)
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from apm.accounts.models import AuditEvent, AuditKind
from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.models import Client
from projects.portal.models import ShareLink
from reports.models import Report, ReportSchedule
from reports.services import report_render, report_request, reports_dispatch_due
from tests import factories
from tests.access_world import World, build_world, populate
from tests.reports.scheduled import schedule_form_data

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 9, 8, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def world(db) -> World:
    return populate(build_world())


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)
    monkeypatch.setattr("apm.outbox.services.publish", lambda task, *args, countdown=None: True)


def schedule_form(world: World, **overrides) -> dict:
    data = schedule_form_data(
        name="Alpha internal", kind="highlight", audience="internal", scope="project", project=world.project.pk
    )
    return data | overrides


# --- 1. Internal reports to someone only on the team ---------------------------------------------


@pytest.mark.parametrize("relationship", ["pm_on_team", "head_on_team"])
def test_it_refuses_send_now_of_the_internal_report_to_someone_only_on_the_team(client, world, relationship):
    client.force_login(world.users[relationship])
    url = reverse("reports:project_send", args=[world.project.code])
    response = client.post(url, {"kind": "highlight", "audience": "internal"})
    assert response.status_code == 403
    assert not Report.objects.filter(requested_by=world.users[relationship]).exists()
    with pytest.raises(Refused, match="internal reports"):
        report_request(
            kind="highlight",
            audience="internal",
            scope="project",
            project=world.project,
            requested_by=world.users[relationship],
        )


def test_it_refuses_an_internal_schedule_from_someone_only_on_the_team(client, world):
    client.force_login(world.users["pm_on_team"])
    response = client.post(reverse("reports:schedule_create"), schedule_form(world))
    assert response.status_code == 200  # the form again, with the reason
    assert not ReportSchedule.objects.filter(name="Alpha internal").exists()


def test_it_refuses_an_outside_address_on_an_internal_schedule_naming_it(client, world):
    client.force_login(world.users["pm"])
    data = schedule_form(world, extra_recipients="friend@elsewhere.example\nhead@example.com")
    page = client.post(reverse("reports:schedule_create"), data).content.decode()
    assert "friend@elsewhere.example may not see them" in page
    assert not ReportSchedule.objects.filter(name="Alpha internal").exists()
    # The head of the project's department may: their address is accepted.
    response = client.post(
        reverse("reports:schedule_create"), schedule_form(world, extra_recipients="head@example.com")
    )
    assert response.status_code == 302
    assert ReportSchedule.objects.get(name="Alpha internal").created_by == world.users["pm"]


def test_it_accepts_an_address_in_an_allowed_internal_domain(client, world, settings):
    settings.APM_INTERNAL_EMAIL_DOMAINS = ["elsewhere.example"]
    client.force_login(world.users["pm"])
    data = schedule_form(world, extra_recipients="friend@elsewhere.example")
    assert client.post(reverse("reports:schedule_create"), data).status_code == 302


def test_a_known_persons_address_in_an_allowed_domain_is_decided_by_what_they_may_see(client, world, settings):
    """The domain rule is for addresses APM does not know: a team member's company address, as a login or as
    their person's own address, never receives an internal report their login may not see."""
    member = world.users["member"]
    member.email = "mo@elsewhere.example"
    member.save(update_fields=["email"])
    factories.TeamMemberFactory(name="No Login", email="nologin@elsewhere.example")
    settings.APM_INTERNAL_EMAIL_DOMAINS = ["elsewhere.example"]
    client.force_login(world.users["pm"])
    for address in ("mo@elsewhere.example", "nologin@elsewhere.example"):
        page = client.post(reverse("reports:schedule_create"), schedule_form(world, extra_recipients=address))
        assert f"{address} may not see them" in page.content.decode()
    assert not ReportSchedule.objects.filter(name="Alpha internal").exists()


def test_it_pauses_a_schedule_whose_owner_left_and_tells_their_heads(world):
    """Made by the PM while they ran the project; they are taken off it and deactivated: it stops."""
    pm = world.users["pm"]
    factories.TeamMemberFactory(user=pm, department=world.department)  # the PM's department: ALPHA
    schedule = factories.ProjectReportScheduleFactory(
        name="Alpha internal", project=world.project, created_by=pm, next_run_at=NOW - dt.timedelta(seconds=30)
    )
    world.project.project_manager = None
    world.project.save(update_fields=["project_manager"])
    pm.is_active = False
    pm.save(update_fields=["is_active"])

    with time_machine.travel(NOW, tick=False):
        assert reports_dispatch_due(now=NOW) == []
        assert reports_dispatch_due(now=NOW) == []  # a second dispatch pauses and tells nobody again
    schedule.refresh_from_db()
    assert not schedule.active
    assert schedule.next_run_at is None
    assert "is deactivated" in schedule.paused_reason
    assert not Report.objects.filter(schedule=schedule).exists()
    [told] = OutboundEmail.objects.filter(subject__startswith="Report schedule paused")
    assert told.to == [world.users["head"].email]  # the head of ALPHA, the owner's department
    assert "is deactivated" in told.body_text
    assert AuditEvent.objects.filter(kind=AuditKind.SCHEDULE_PAUSED, target=f"schedule:{schedule.pk}").count() == 1


def test_it_pauses_a_schedule_whose_owner_only_lost_the_money(world):
    """Still active and still on the team, but no longer the PM: the internal report stops, with the reason."""
    pm = world.users["pm"]
    world.project.team_members.add(factories.TeamMemberFactory(user=pm, department=world.department))
    schedule = factories.ProjectReportScheduleFactory(
        project=world.project, created_by=pm, next_run_at=NOW - dt.timedelta(seconds=30)
    )
    world.project.project_manager = world.users["admin"]
    world.project.save(update_fields=["project_manager"])
    with time_machine.travel(NOW, tick=False):
        assert reports_dispatch_due(now=NOW) == []
    schedule.refresh_from_db()
    assert not schedule.active
    assert "may no longer send internal reports" in schedule.paused_reason


def test_it_shows_the_pause_reason_and_resumes_only_for_someone_who_may_send(client, world):
    schedule = world.own.objects["internal_schedule"]
    schedule.active, schedule.paused_reason = False, "Its owner, Paula, is deactivated."
    schedule.save(update_fields=["active", "paused_reason"])
    head = world.users["head"]
    client.force_login(head)
    page = client.get(reverse("reports:schedules")).content.decode()
    assert "Its owner, Paula, is deactivated." in page
    client.post(reverse("reports:schedule_toggle", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.active
    assert schedule.created_by == head
    assert schedule.paused_reason == ""


# --- 2. Money on pages for team members --------------------------------------------------------


def test_it_hides_the_money_of_a_project_from_its_team(client, world):
    member = world.users["member"]
    client.force_login(member)
    detail = client.get(reverse("projects:detail", args=[world.project.code])).content.decode()
    assert "Budget at completion" not in detail
    assert "987,654,321" not in detail
    listing = client.get(reverse("projects:list")).content.decode()
    assert "987,654,321" not in listing
    changes = client.get(reverse("projects:changes", args=[world.project.code])).content.decode()
    assert "31,415,926" not in changes
    assert "Cost impact" not in changes
    change = client.get(reverse("projects:change", args=[world.project.code, 1])).content.decode()
    assert "Cost (internal)" not in change


def test_it_shows_the_money_to_the_pm_on_the_same_pages(client, world):
    client.force_login(world.users["pm"])
    assert "987,654,321" in client.get(reverse("projects:detail", args=[world.project.code])).content.decode()
    assert "31,415,926" in client.get(reverse("projects:changes", args=[world.project.code])).content.decode()


def test_it_shows_rates_only_to_heads_of_the_persons_department(client, world):
    url = reverse("staffing:person", args=[world.person.pk])
    client.force_login(world.users["head_on_team"])  # heads BETA, on ALPHA-1's team with the ALPHA person
    page = client.get(url)
    assert page.status_code == 200
    assert "8,642.97" not in page.content.decode()
    assert "8642.97" not in page.content.decode()
    client.force_login(world.users["head"])  # heads ALPHA
    assert "8642.97" in client.get(url).content.decode().replace(",", "")


# --- 3. A PM re-pointing a project at another client ----------------------------------------------


def test_it_keeps_the_client_of_a_project_from_its_pm(client, world):
    globex = Client.objects.get(name="Globex")
    client.force_login(world.users["pm"])
    url = reverse("projects:edit", args=[world.project.code])
    form = client.get(url).context["form"]
    assert form.fields["client"].disabled
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"client": globex.pk, "departments": [world.department.pk], "reporting_heads": []}
    data["reporting_heads"] = [u.pk for u in world.project.reporting_heads.all()]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    world.project.refresh_from_db()
    assert world.project.client.name == "Acme"
    # The contacts page still lists Acme's contacts only.
    access_page = client.get(reverse("portal:access", args=[world.project.code])).content.decode()
    assert "Gil Client" not in access_page
    assert "Ann Client" in access_page


def test_it_lets_a_head_change_the_client_retiring_share_links_in_the_audit_log(client, world):
    globex = Client.objects.get(name="Globex")
    head = world.users["head"]
    client.force_login(head)
    url = reverse("projects:edit", args=[world.project.code])
    form = client.get(url).context["form"]
    assert not form.fields["client"].disabled
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {
        "client": globex.pk,
        "departments": [world.department.pk],
        "reporting_heads": [u.pk for u in world.project.reporting_heads.all()],
    }
    assert client.post(url, data).status_code == 302
    world.project.refresh_from_db()
    assert world.project.client == globex
    assert not ShareLink.objects.filter(project=world.project, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(kind=AuditKind.PROJECT_CLIENT_CHANGED)
    assert event.user == head
    assert event.detail["to_client"] == globex.pk
    assert event.detail["share_links_revoked"] == 1
    # Acme's contact no longer sees the project; Globex's does.
    client.force_login(world.users["contact"])
    assert client.get(reverse("portal:project", args=[world.project.code])).status_code == 404


# --- 8. The internal audience offered only to those who may use it, and marked -----------------------


def test_it_offers_the_internal_audience_only_to_those_with_the_money(client, world):
    url = reverse("reports:project", args=[world.project.code])
    client.force_login(world.users["pm"])
    assert {value for value, _label in client.get(url).context["send_form"].fields["audience"].choices} == {
        "internal",
        "client",
    }
    for relationship in ("pm_on_team", "head_on_team", "member"):
        client.force_login(world.users[relationship])
        page = client.get(url)
        assert page.context["send_form"].fields["audience"].choices == []
        assert not page.context["can_send"]


def test_it_offers_a_user_without_money_only_the_client_audience_on_the_schedule_form(client, world):
    client.force_login(world.users["pm_on_team"])
    form = client.get(reverse("reports:schedule_create")).context["form"]
    assert [value for value, _label in form.fields["audience"].choices] == ["client"]
    assert list(form.fields["project"].queryset) == []  # nothing they may send about


def test_it_marks_internal_report_emails_and_the_deliveries_page_shows_the_audience(client, world):
    head = world.users["head"]
    report = report_request(
        kind="highlight", audience="internal", scope="project", project=world.project, requested_by=head
    )
    report_render(report_id=report.pk)
    email = OutboundEmail.objects.filter(delivery__report=report).first()
    assert email.subject.startswith("[Internal] ")
    assert "INTERNAL: this report shows costs" in email.body_text
    outbox_send(email_id=email.pk)
    assert mail.outbox[-1].subject.startswith("[Internal] ")
    client.force_login(head)
    page = client.get(reverse("reports:outbox")).content.decode()
    assert "Internal</span>" in page
