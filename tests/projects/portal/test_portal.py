"""The client portal: status page, client decisions, report downloads, share links and invitations."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from apm.accounts.models import AuditEvent, AuditKind, Invitation, Role, User
from apm.accounts.services import invitation_accept, invitation_create
from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects.portal.models import ShareLink
from projects.portal.selectors import portal_status
from projects.portal.services import client_contact_invite, share_link_create, share_link_open, share_link_revoke
from tests import factories

pytestmark = pytest.mark.django_db


def client_report(project, *, audience="client", title="Highlight report March"):
    report = factories.ReportFactory(project=project, audience=audience, title=title, snapshot={})
    report.pdf.save(f"r{report.pk}.pdf", ContentFile(b"%PDF-1.4\n%portal\n"), save=True)
    return report


@pytest.fixture
def status_world(world):
    project = world["alpha_project"]
    for as_of, rag in ((dt.date(2025, 1, 31), "green"), (dt.date(2025, 2, 28), "green"), (dt.date(2025, 3, 31), "red")):
        factories.StatusUpdateFactory(
            project=project,
            as_of=as_of,
            rag=rag,
            percent_complete=Decimal("42.50"),
            commentary_overall=f"Overall {as_of:%B}",
            commentary_budget="Internal budget chat",
            work_done="<script>alert(1)</script> Wireframes done",
            decisions_needed="Approve the design\nPick a launch date",
        )
    factories.MilestoneFactory(
        project=project, name="Kick-off", due_date=dt.date(2025, 1, 15), completed_on=dt.date(2025, 1, 14)
    )
    factories.MilestoneFactory(project=project, name="Design sign-off", due_date=dt.date(2025, 3, 1))
    factories.MilestoneFactory(project=project, name="Launch", due_date=dt.date(2026, 6, 1))
    return world


@time_machine.travel(dt.datetime(2025, 4, 2, 9, 0, tzinfo=dt.UTC))
def test_it_builds_the_client_status_from_the_whitelist(status_world):
    status = portal_status(project=status_world["alpha_project"], user=None)
    assert status["project"]["rag"] == "red"
    assert status["direction"] == "worsening"
    assert [point["rag"] for point in status["trend"]] == ["green", "green", "red"]
    assert status["project"]["percent_complete"] == Decimal("42.50")
    assert [(m["name"], m["state"]) for m in status["project"]["milestones"]] == [
        ("Kick-off", "done"),
        ("Design sign-off", "overdue"),
        ("Launch", "upcoming"),
    ]
    assert status["highlights"][0]["decisions"] == ["Approve the design", "Pick a launch date"]
    assert "commentary_budget" not in status["highlights"][0]


@time_machine.travel(dt.datetime(2025, 4, 2, 9, 0, tzinfo=dt.UTC))
def test_it_shows_a_client_their_status_page_escaped_and_without_internal_text(client, status_world, client_user):
    client.force_login(client_user)
    page = client.get(reverse("portal:project", args=["ALPHA-1"])).content.decode()
    assert "Alpha Project" in page
    assert "43%" in page or "42%" in page
    assert "Worsening" in page
    assert "Design sign-off" in page
    assert "Was due 1 Mar 2025" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Internal budget chat" not in page
    assert "1000000" not in re.sub(r"[,\s]", "", page)


def test_it_lists_only_the_clients_own_projects(client, world, client_user, other_client_user):
    client.force_login(client_user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "ALPHA-1" in page
    assert "BETA-1" not in page
    client.force_login(other_client_user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "BETA-1" in page
    assert "ALPHA-1" not in page
    assert client.get(reverse("portal:project", args=["ALPHA-1"])).status_code == 404


def test_it_lands_a_client_on_the_portal_after_login(client, world, client_user):
    response = client.post(
        reverse("login"), {"username": "client", "password": "correct horse battery staple"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert client.get("/").url == reverse("portal:home")


def test_it_lets_the_client_sign_off_a_deliverable_and_logs_it(client, world, client_user, pm):
    deliverable = factories.DeliverableFactory(project=world["alpha_project"], status="awaiting_sign_off")
    client.force_login(client_user)
    page = client.get(reverse("portal:project", args=["ALPHA-1"])).content.decode()
    assert deliverable.name in page
    assert "Meets the brief" in page
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    response = client.post(url, {"decision": "accept", "comment": "", "confirm": "yes"})
    assert response.status_code == 302
    deliverable.refresh_from_db()
    assert deliverable.status == "accepted"
    assert deliverable.signed_off_by == client_user
    event = AuditEvent.objects.get(kind=AuditKind.CLIENT_DECISION)
    assert (event.user, event.target) == (client_user, f"deliverable:{deliverable.pk}")
    # Final: a second answer finds nothing awaiting.
    assert client.post(url, {"decision": "reject", "comment": "no"}).status_code == 404


def test_it_needs_a_reason_to_reject_and_changes_nothing_without_one(client, world, client_user):
    deliverable = factories.DeliverableFactory(project=world["alpha_project"], status="awaiting_sign_off")
    client.force_login(client_user)
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    response = client.post(url, {"decision": "reject", "comment": " "}, follow=True)
    assert "Please say why" in response.content.decode()
    deliverable.refresh_from_db()
    assert deliverable.status == "awaiting_sign_off"


def test_it_refuses_internal_users_a_client_decision(client, world, pm):
    deliverable = factories.DeliverableFactory(project=world["alpha_project"], status="awaiting_sign_off")
    client.force_login(pm)
    page = client.get(reverse("portal:project", args=["ALPHA-1"])).content.decode()
    assert "previewing what the client sees" in page
    assert reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk]) not in page
    response = client.post(reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk]), {"decision": "accept"})
    assert response.status_code == 403
    deliverable.refresh_from_db()
    assert deliverable.status == "awaiting_sign_off"


def test_it_lets_the_client_decide_a_change_request_without_seeing_its_cost(client, world, client_user):
    change = apps.get_model("projects", "ChangeRequest").objects.create(
        project=world["alpha_project"],
        number=7,
        title="Add a language",
        description="Internal description",
        reason="r",
        client_summary="Adds Welsh; moves launch two weeks.",
        cost_impact=Decimal("76543.21"),
        schedule_impact_days=14,
        approvers="client",
        status="submitted",
        submitted_at=timezone.now(),
    )
    client.force_login(client_user)
    page = client.get(reverse("portal:project", args=["ALPHA-1"])).content.decode()
    assert "Adds Welsh" in page
    assert "14 days" in page
    assert "76543" not in re.sub(r"[,\s]", "", page)
    assert "Internal description" not in page
    response = client.post(reverse("portal:decide", args=["ALPHA-1", change.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert change.approvals.get().approved is True


def test_it_downloads_a_client_report_and_logs_it(client, world, client_user):
    report = client_report(world["alpha_project"])
    internal = client_report(world["alpha_project"], audience="internal", title="Internal March")
    client.force_login(client_user)
    page = client.get(reverse("portal:project", args=["ALPHA-1"])).content.decode()
    assert "Highlight report March" in page
    assert "Internal March" not in page
    response = client.get(reverse("portal:report_pdf", args=["ALPHA-1", report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(kind=AuditKind.REPORT_DOWNLOADED)
    assert (event.user, event.target) == (client_user, f"report:{report.pk}")
    assert client.get(reverse("portal:report_pdf", args=["ALPHA-1", internal.pk])).status_code == 404


def test_it_logs_report_downloads_from_the_archive_too(client, world, client_user):
    report = client_report(world["alpha_project"])
    client.force_login(client_user)
    assert client.get(reverse("reports:pdf", args=[report.pk])).status_code == 200
    assert AuditEvent.objects.filter(kind=AuditKind.REPORT_DOWNLOADED, target=f"report:{report.pk}").count() == 1


# --- Share links -------------------------------------------------------------


def test_it_opens_a_share_link_read_only_in_the_client_audience_and_logs_each_opening(client, status_world, pm):
    made = share_link_create(project=status_world["alpha_project"], user=pm, days=7)
    deliverable = factories.DeliverableFactory(project=status_world["alpha_project"], status="awaiting_sign_off")
    url = reverse("portal:shared", args=[made.token])
    for _ in range(2):
        response = client.get(url, HTTP_USER_AGENT="Phone", REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    page = response.content.decode()
    assert "Alpha Project" in page
    assert "Internal budget chat" not in page
    assert reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk]) not in page  # read-only
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    events = AuditEvent.objects.filter(kind=AuditKind.SHARE_LINK_OPENED)
    assert events.count() == 2
    assert {(e.user, e.ip, e.user_agent) for e in events} == {(None, "203.0.113.7", "Phone")}
    made.link.refresh_from_db()
    assert made.link.open_count == 2
    assert ShareLink.objects.get().token_hash != made.token  # only the hash is stored


def test_it_stops_a_share_link_when_it_expires_or_is_revoked(client, world, pm):
    with time_machine.travel(dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        made = share_link_create(project=world["alpha_project"], user=pm, days=3)
    url = reverse("portal:shared", args=[made.token])
    with time_machine.travel(dt.datetime(2025, 4, 4, 8, 59, tzinfo=dt.UTC), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(dt.datetime(2025, 4, 4, 9, 1, tzinfo=dt.UTC), tick=False):
        assert client.get(url).status_code == 404
    live = share_link_create(project=world["alpha_project"], user=pm, days=3)
    assert share_link_revoke(link=live.link, user=pm) is True
    assert share_link_revoke(link=live.link, user=pm) is False
    assert client.get(reverse("portal:shared", args=[live.token])).status_code == 404
    assert share_link_open(token="not-a-token") is None
    assert AuditEvent.objects.filter(kind=AuditKind.SHARE_LINK_OPENED).count() == 1


def test_it_refuses_share_links_longer_than_allowed(world, pm, settings):
    settings.APM_SHARE_LINK_MAX_DAYS = 30
    with pytest.raises(Refused, match="1 to 30 days"):
        share_link_create(project=world["alpha_project"], user=pm, days=31)
    with pytest.raises(Refused, match="1 to 30 days"):
        share_link_create(project=world["alpha_project"], user=pm, days=0)


def test_it_lets_the_pm_make_and_revoke_a_link_in_the_browser(client, world, pm):
    client.force_login(pm)
    response = client.post(reverse("portal:access", args=["ALPHA-1"]), {"days": "14", "label": "Board"})
    assert response.status_code == 200
    match = re.search(r'value="(http[^"]+/portal/_s/[^"]+/)"', response.content.decode())
    assert match, "the new link is shown once"
    link = ShareLink.objects.get()
    assert (link.label, link.created_by) == ("Board", pm)
    assert client.get(match.group(1).split("testserver")[1]).status_code == 200
    response = client.post(reverse("portal:share_revoke", args=["ALPHA-1", link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_by == pm
    bad = client.post(reverse("portal:access", args=["ALPHA-1"]), {"days": "999"})
    assert bad.status_code == 200
    assert ShareLink.objects.count() == 1


def test_it_shares_report_pdfs_only_through_a_live_link(client, world, pm):
    report = client_report(world["alpha_project"])
    internal = client_report(world["alpha_project"], audience="internal", title="Internal")
    made = share_link_create(project=world["alpha_project"], user=pm, days=3)
    assert client.get(reverse("portal:shared_report_pdf", args=[made.token, report.pk])).status_code == 200
    assert client.get(reverse("portal:shared_report_pdf", args=[made.token, internal.pk])).status_code == 404
    event = AuditEvent.objects.get(kind=AuditKind.REPORT_DOWNLOADED)
    assert event.detail["via"] == f"share_link:{made.link.pk}"
    share_link_revoke(link=made.link, user=pm)
    assert client.get(reverse("portal:shared_report_pdf", args=[made.token, report.pk])).status_code == 404


# --- Invitations -------------------------------------------------------------


def _link_in(email: OutboundEmail) -> str:
    return re.search(r"http\S+/accounts/invitation/[^/\s]+/", email.body_text).group(0)


def test_it_invites_a_contact_through_the_outbox_with_a_one_time_link(client, world, pm, settings):
    settings.APM_SITE_URL = "https://apm.example.com"
    contact = factories.ClientContactFactory(client=world["acme"], name="Cara Client", email="cara@acme.example")
    client.force_login(pm)
    response = client.post(reverse("portal:invite", args=["ALPHA-1", contact.pk]))
    assert response.status_code == 302
    contact.refresh_from_db()
    user = contact.user
    assert (user.role, user.email, user.has_usable_password()) == (Role.CLIENT_CONTACT, "cara@acme.example", False)
    email = OutboundEmail.objects.get(kind="invitation")
    assert email.to == ["cara@acme.example"]
    link = _link_in(email)
    assert link.startswith("https://apm.example.com/accounts/invitation/")
    path = link.removeprefix("https://apm.example.com")
    assert "<a href=" in email.body_html
    client.logout()
    assert client.get(path).status_code == 200
    weak = client.post(path, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200
    assert "too short" in weak.content.decode()
    response = client.post(path, {"new_password1": "Blue-kettle-59-orbit", "new_password2": "Blue-kettle-59-orbit"})
    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    user.refresh_from_db()
    assert user.check_password("Blue-kettle-59-orbit")
    assert client.get(reverse("portal:project", args=["ALPHA-1"])).status_code == 200
    client.logout()
    again = client.get(path)
    assert again.status_code == 404
    assert "no longer works" in again.content.decode()
    assert AuditEvent.objects.filter(kind=AuditKind.INVITATION_ACCEPTED, user=user).count() == 1


def test_it_expires_invitations_and_retires_older_ones(world, pm, client_user):
    with time_machine.travel(dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        invitation_create(user=client_user, invited_by=pm)
        first = _link_in(OutboundEmail.objects.get()).rstrip("/").rsplit("/", 1)[1]
        invitation_create(user=client_user, invited_by=pm)
        second = _link_in(OutboundEmail.objects.order_by("-pk").first()).rstrip("/").rsplit("/", 1)[1]
    assert Invitation.objects.get(retired=True).user == client_user
    with time_machine.travel(dt.datetime(2025, 4, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        assert invitation_accept(token=first, password="Blue-kettle-59-orbit") is None
    with time_machine.travel(dt.datetime(2025, 4, 4, 9, 1, tzinfo=dt.UTC), tick=False):
        assert invitation_accept(token=second, password="Blue-kettle-59-orbit") is None
    with time_machine.travel(dt.datetime(2025, 4, 4, 8, 59, tzinfo=dt.UTC), tick=False):
        assert invitation_accept(token=second, password="Blue-kettle-59-orbit") == client_user


def test_it_never_gives_an_internal_login_to_a_client_contact(world, pm, member):
    contact = factories.ClientContactFactory(client=world["acme"], email="mo@acme.example", user=member)
    with pytest.raises(Refused, match="internal account"):
        client_contact_invite(contact=contact, invited_by=pm)
    assert not OutboundEmail.objects.exists()


def test_it_escapes_names_in_the_invitation_email(world, pm):
    contact = factories.ClientContactFactory(client=world["acme"], name="<b>Eve</b> Smith", email="eve@acme.example")
    client_contact_invite(contact=contact, invited_by=pm)
    email = OutboundEmail.objects.get()
    assert "<b>Eve</b>" not in email.body_html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in email.body_html
    assert User.objects.get(email="eve@acme.example").first_name == "<b>Eve</b>"
    assert mail.outbox == []  # sent by the outbox worker, not in the request
