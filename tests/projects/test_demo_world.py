"""The agency world that setup_demo seeds (projects/demo/world.py): every kind of thing the demo shows, once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from projects.billing import currency, revenue
from projects.billing.margin import billing_of, falls_due, project_margins, retainer_terms
from projects.demo import money
from projects.demo.world import DEPARTMENT_CODES, PROJECTS
from projects.models import (
    Allocation,
    BillRate,
    Client,
    ClientContact,
    Correspondence,
    Deliverable,
    Document,
    ExchangeRate,
    MarginAlert,
    NonConformance,
    Project,
    ProjectBilling,
    RaidItem,
    TimeEntry,
    ToleranceException,
)
from projects.staffing.selectors import member_week_loads
from teams.capacity import week_start
from teams.models import TeamMember

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("teams", "projects", "accounts")
        for model in apps.get_app_config(app).get_models()
    }


def test_it_seeds_every_kind_the_demo_shows_and_a_second_run_creates_nothing(settings, tmp_path):
    # The demo GMPP set and the demo O*NET files (the real ones are slower and may be missing).
    settings.APM_REAL_DATA_DIR = tmp_path / "no-real-data-here"
    call_command("setup_demo", stdout=io.StringIO())
    first = _counts()
    _the_pm_manages_the_agency_projects_with_the_member_and_the_client()
    _every_kind_the_demo_shows_is_there()
    _the_money_loop_is_there()
    _harbourlight_has_an_overdue_invoice_and_a_draft()
    _the_member_has_tasks_on_their_desk()
    _harbourlight_has_a_conversation()
    call_command("setup_demo", stdout=io.StringIO())
    assert _counts() == first
    _an_invoice_can_be_drafted_and_issued()


def _harbourlight_has_an_overdue_invoice_and_a_draft() -> None:
    """Its first week of time invoiced 20 days ago on 14 days' terms (overdue since, on the PM's desk), the time
    approved since drafted."""
    from apm.accounts.models import User
    from projects.desk.selectors import desk_for
    from projects.models import Invoice

    today = timezone.localdate()
    invoices = Invoice.objects.filter(client__name="Harbourlight Ferries")
    issued = invoices.get(state="issued")
    assert issued.number == f"INV-{(today - dt.timedelta(days=20)).year}-0001"
    assert issued.due_date == today - dt.timedelta(days=6)
    assert issued.gross_total > 0
    assert invoices.get(state="draft").lines.exists()
    # Emailed to the billing contact with its PDF.
    assert list(issued.deliveries.values_list("address", "email__attachments__filename")) == [
        ("owen.pike@harbourlight.example", f"{issued.number}.pdf")
    ]
    assert desk_for(user=User.objects.get(username="pm"), today=today).invoices_overdue == [issued]


def _harbourlight_has_a_conversation() -> None:
    """The client asks about the design concepts before signing them off, the PM answers visibly to the client and
    mentions the member, and notes something internal; the member and the PM are notified; the team's Slack
    channel is connected."""
    from projects.models import ChatHook, Comment, Notification

    comments = Comment.objects.filter(project__code="HLF-WEB")
    on_concepts = comments.filter(deliverable__name="Design concepts").order_by("pk")
    assert [(c.author.username, c.visibility) for c in on_concepts] == [
        ("client", "client"),
        ("pm", "client"),
        ("pm", "internal"),
    ]
    assert comments.filter(task__isnull=False).exists()
    assert comments.filter(raid_item__isnull=False).exists()
    assert Notification.objects.filter(recipient__username="member", kind="mention").exists()
    # The client wrote on a deliverable the member owns: its owner and the project's PM hear of it.
    client_said = on_concepts[0]
    told = set(
        Notification.objects.filter(key=f"comment:{client_said.pk}").values_list("recipient__username", flat=True)
    )
    assert told == {"member", "pm"}
    assert ChatHook.objects.get(project__code="HLF-WEB").events


def _the_member_has_tasks_on_their_desk() -> None:
    """Each staffed project's prototype has four tasks of the member login: three open (one overdue, first on their
    desk), one done; the work in progress has a checklist."""
    from apm.accounts.models import User
    from projects.desk.selectors import desk_for
    from projects.models import Task

    staffed = [spec.code for spec in PROJECTS if not spec.dublin]
    tasks = Task.objects.filter(project__code__in=staffed, deliverable__name="Prototype")
    assert tasks.count() == 4 * len(staffed)
    assert set(tasks.values_list("status", flat=True)) == {"in_progress", "blocked", "done"}
    assert not tasks.exclude(assignees__user__username="member").exists()
    assert tasks.filter(checklist__done=True).exists()
    today = timezone.localdate()
    mine = desk_for(user=User.objects.get(username="member"), today=today).my_tasks
    assert len(mine) == 3 * len(staffed)
    assert mine[0].due_date < today


def _an_invoice_can_be_drafted_and_issued() -> None:
    """The first client has billing details and a billing contact: the demo administrator issues its invoice."""
    from apm.accounts.models import User
    from projects.billing.invoices import invoice_draft, invoice_issue
    from projects.models import Client

    client = Client.objects.get(name="Harbourlight Ferries")
    assert client.billing_address
    assert client.contacts.filter(billing_contact=True).exists()
    today = timezone.localdate()
    demo = User.objects.get(username="demo")
    draft = invoice_draft(actor=demo, client=client, period_start=today.replace(year=today.year - 2), period_end=today)
    assert draft.lines.exists()
    issued = invoice_issue(actor=demo, invoice=draft, on=today)
    assert issued.number.startswith(f"INV-{today.year}-")
    assert client.contacts.filter(billing_contact=True).get().email == "owen.pike@harbourlight.example"


def _the_pm_manages_the_agency_projects_with_the_member_and_the_client() -> None:
    projects = Project.objects.filter(project_manager__username="pm")
    assert sorted(projects.values_list("code", flat=True)) == sorted(spec.code for spec in PROJECTS)
    # The member is on every project but the Dublin studio's (whose people are paid in euros, as it is billed).
    staffed = [spec.code for spec in PROJECTS if not spec.dublin]
    assert all(p.team_members.filter(user__username="member").exists() for p in projects.filter(code__in=staffed))
    contact = ClientContact.objects.get(user__username="client")
    assert projects.filter(client=contact.client).exists()


def _every_kind_the_demo_shows_is_there() -> None:
    mine = {"project__project_manager__username": "pm"}
    today = timezone.localdate()
    statuses = set(Deliverable.objects.filter(**mine).values_list("status", flat=True))
    assert statuses == {"not_started", "in_progress", "in_review", "awaiting_sign_off", "accepted", "rejected"}
    awaiting = Deliverable.objects.filter(
        status="awaiting_sign_off", project__client__contacts__user__username="client"
    ).select_related("review_document")
    assert awaiting.exists()
    # What the client reviews is there and shared with them.
    assert all(d.review_document.is_shared and d.review_document.status == "approved" for d in awaiting)
    assert NonConformance.objects.filter(deliverable__project__project_manager__username="pm", status="open").exists()
    assert RaidItem.objects.filter(
        **mine, kind="issue", severity="critical", acknowledged_at=None, status="open"
    ).exists()
    assert Document.objects.filter(
        **mine, expires_on__gte=today, expires_on__lte=today + timezone.timedelta(days=30)
    ).exists()
    assert Correspondence.objects.filter(**mine, counterpart_kind="authority", status="awaiting_reply").exists()
    assert list(ToleranceException.objects.filter(**mine, state="open").values_list("project__code", "kind")) == [
        ("MDC-BRAND", "cost")
    ]
    # Its exception plan is submitted and waits for a head's decision.
    assert list(ToleranceException.objects.filter(**mine, state="open").values_list("plan__state", flat=True)) == [
        "submitted"
    ]
    assert Allocation.objects.filter(**mine, status="tentative").exists()
    # Time as a person keeps it: a long day at most (the timesheet refuses a day over 24 h).
    days = TimeEntry.objects.values("member", "date").annotate(hours=Sum("hours")).order_by("-hours")
    assert days[0]["hours"] <= 16
    member = Allocation.objects.filter(**mine, member__user__username="member").first().member
    (load,) = member_week_loads(members=[member], weeks=[week_start(today)])[member.pk]
    assert load.confirmed > load.capacity  # over-booked


def _the_money_loop_is_there() -> None:
    mine = Project.objects.filter(project_manager__username="pm")
    today = timezone.localdate()
    # Every person of the agency has a job role; the roles have cards, a client's and a project's override, and
    # the front-end card changed in the middle of the time logged: the member's entries carry both rates.
    assert not TeamMember.objects.filter(department__code__in=DEPARTMENT_CODES, job_role=None).exists()
    assert BillRate.objects.filter(client=None, project=None, currency="GBP").count() >= len(money.CARDS)
    assert BillRate.objects.filter(client__name="Harbourlight Ferries").exists()
    assert BillRate.objects.filter(project__code="HLF-WEB").exists()
    changed = BillRate.objects.filter(job_role__title=money.MEMBER_ROLE, client=None, project=None).order_by(
        "valid_from"
    )
    assert [(rate.rate, rate.valid_to) for rate in changed] == [
        (money.CARDS[money.MEMBER_ROLE], changed[1].valid_from - timezone.timedelta(days=1)),
        (money.CARD_CHANGE, None),
    ]
    theirs = TimeEntry.objects.filter(member__user__username="member", project__code="HLF-WEB")
    assert set(theirs.values_list("bill_rate", flat=True)) == {money.CARDS[money.MEMBER_ROLE], money.CARD_CHANGE}
    assert set(TimeEntry.objects.filter(project__in=mine).values_list("bill_rate_source", flat=True)) == {
        "project",
        "client",
        "role",
    }
    # Time in every approval state: weeks approved, the member's last week waiting for the PM, the member's
    # week before on HLF-WEB rejected with the PM's comment, someone's last week still open.
    assert set(TimeEntry.objects.filter(project__in=mine).values_list("approval", flat=True)) == {
        "open",
        "submitted",
        "approved",
        "rejected",
    }
    last_week = week_start(today) - timezone.timedelta(weeks=1)
    waiting = TimeEntry.objects.filter(approval="submitted")
    assert {entry.member.user.username for entry in waiting} == {"member"}
    assert {week_start(day) for day in waiting.values_list("date", flat=True)} == {last_week}
    rejected = TimeEntry.objects.filter(approval="rejected")
    assert set(rejected.values_list("project__code", "decision_comment", "decided_by__username")) == {
        ("HLF-WEB", money.REJECTION, "pm")
    }
    # The billing models: time and materials with a markup, a fixed price whose first milestone fell due when the
    # client accepted the discovery report, a retainer rolling hours over with a month of overage; one in EUR.
    billings = {billing.project.code: billing for billing in ProjectBilling.objects.select_related("project")}
    assert {code: billing.model for code, billing in billings.items()} == {
        "HLF-WEB": "tm",
        "MDC-BRAND": "fixed",
        "NMT-APP": "retainer",
        "LAF-FEST": "tm",
    }
    assert billings["HLF-WEB"].expense_markup_percent > 0
    milestones = billings["MDC-BRAND"].project.billing_milestones.all()
    fallen = [m for m in milestones if (falls_due(m) or dt.date.max) <= today]
    assert [(m.name, m.deliverable.status) for m in fallen] == [("Discovery accepted", "accepted")]
    nmt = billings["NMT-APP"].project
    assert billings["NMT-APP"].rollover_months >= 1
    hours = TimeEntry.objects.filter(project=nmt, approval="approved").values_list("date", "hours")
    months = revenue.retainer_months(terms=retainer_terms(nmt, billing_of(nmt)), hours=list(hours), as_of=today)
    assert any(month.overage_hours > 0 for month in months)
    assert any(month.rolled_in > 0 for month in months)
    assert Project.objects.get(code="LAF-FEST").currency == "EUR"
    # Every client has a margin target; MDC-BRAND alone is forecast below its client's, and its alert is open.
    assert not Client.objects.filter(projects__in=mine, margin_target_percent=None).exists()
    below = [m.project.code for m in project_margins(projects=mine, as_of=today) if m.below_target]
    assert below == ["MDC-BRAND"]
    assert list(MarginAlert.objects.filter(closed_at=None).values_list("project__code", flat=True)) == ["MDC-BRAND"]
    # The sample file's exchange rates: GBP, for the EUR project's total in the department's table; run after the
    # sample's last day, its last rates carried to the last weekday, saying so, so today's total has a rate.
    assert ExchangeRate.objects.filter(currency="GBP", date__lte=dt.date(2026, 12, 4)).count() == 12
    assert currency.rate_on("GBP", today).rate == ExchangeRate.objects.get(currency="GBP", date="2026-12-04").rate
    carried = ExchangeRate.objects.filter(date__gt=dt.date(2026, 12, 4))
    assert all(rate.source == "Demo: the sample's rate of 04 Dec 2026, carried forward" for rate in carried)
