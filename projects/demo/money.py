"""The demo's money loop (``manage.py setup_demo``, through ``projects.demo.world``), written by the APM team.

Every figure is invented. What it seeds, through the services an administrator
and the PM would use:

* a job role for every person of the agency (one per department, and
  "Front-end developer" for the member login) and the rate cards: each role's
  card in GBP, two in EUR for the Dublin people, a client's override
  (Harbourlight Ferries' designers), a project's override (HLF-WEB's
  developers) and one change in the middle of the time logged (the front-end
  card, :data:`CARD_CHANGE_DAYS` days before the first run), so that entries
  on either side of it carry different rates;
* the timesheets' approval (:func:`timesheets_decide`): every week before the
  last approved by the PM, the member's last week submitted and waiting for
  the PM, the member's week before on HLF-WEB rejected with a comment, one
  person's last week left open;
* each project's billing (:data:`BILLING`): time and materials with a markup
  on expenses (HLF-WEB), a fixed price with billing milestones, one fallen due
  on the client's acceptance of the discovery report (MDC-BRAND), a retainer
  whose unused hours roll over and whose busiest month runs into overage
  (NMT-APP), time and materials in euros (LAF-FEST);
* the clients' margin targets (:data:`MARGIN_TARGETS`): MDC-BRAND, whose cost
  runs half as much again ahead of progress, is forecast below its client's,
  so the budget check raises a margin alert;
* Harbourlight Ferries' invoices (:func:`invoices_seed`): the first week of
  HLF-WEB's approved time issued :data:`INVOICE_ISSUED_DAYS_AGO` days ago on
  the client's 14 days' terms, so overdue since (on the desks and in the
  portal), and emailed to its billing contact; the approved time since
  drafted, for a PM to check and issue;
* the exchange rates of ``projects/billing/samples/eurofxref-hist-sample.csv``
  (19 Nov to 4 Dec 2026, not the ECB's figures), so a department's table
  totals its GBP and EUR projects in one currency at a stated date's rates.

Idempotent like the rest of the demo: what exists is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Sum

from apm.accounts.models import User
from projects.billing.invoice_delivery import invoice_send
from projects.billing.invoices import invoice_discard, invoice_draft, invoice_issue
from projects.billing.rates_import import exchange_rates_import, rates_file_read
from projects.billing.services import bill_rate_add, bill_rate_change
from projects.budget.services.approval import time_entries_decide, timesheet_week_submit
from projects.models import (
    Approval,
    BillingMilestone,
    BillingModel,
    BillRate,
    Client,
    Deliverable,
    ExchangeRate,
    Invoice,
    Project,
    ProjectBilling,
    TimeEntry,
)
from teams.capacity import week_start
from teams.models import JobRole, TeamMember

#: Counts what was created, by model name (``projects.demo.world``'s counter).
Count = Callable[..., None]

#: The job role of each department's people (our own roles: no O*NET code) and of the member login's person.
DEPARTMENT_ROLES = {
    "AGY-CS": "Account manager",
    "AGY-STU": "Designer",
    "AGY-STR": "Strategist",
    "AGY-TEC": "Developer",
}
MEMBER_ROLE = "Front-end developer"
#: Each role's rate card, GBP an hour.
CARDS = {
    "Account manager": Decimal("120"),
    "Designer": Decimal("110"),
    "Strategist": Decimal("125"),
    "Developer": Decimal("115"),
    MEMBER_ROLE: Decimal("95"),
}
#: The cards in EUR the Dublin people's hours on a EUR project are billed at.
EURO_CARDS = {"Designer": Decimal("125"), "Developer": Decimal("130")}
#: The front-end card goes up to this rate this many days before the first run.
CARD_CHANGE = Decimal("105")
CARD_CHANGE_DAYS = 14
#: (client, role, GBP an hour): a client's override of a card.
CLIENT_RATES = (("Harbourlight Ferries", "Designer", Decimal("100")),)
#: (project code, role, rate an hour in the project's currency): a project's override.
PROJECT_RATES = (("HLF-WEB", "Developer", Decimal("130")),)
#: The clients' target margins (%).
MARGIN_TARGETS = {
    "Harbourlight Ferries": Decimal("25"),
    "Meadowfold Dairy Co-operative": Decimal("30"),
    "Northgate Museum Trust": Decimal("20"),
    "Liffeyside Arts Festival": Decimal("20"),
}
#: How each project bills: the model, and its contract value as a multiple of the budget at completion (a time and
#: materials project's not-to-exceed amount, a fixed price, a retainer's fee over its months).
BILLING = {
    "HLF-WEB": (BillingModel.TIME_AND_MATERIALS, Decimal("1.5")),
    "MDC-BRAND": (BillingModel.FIXED_PRICE, Decimal("1.6")),
    "NMT-APP": (BillingModel.RETAINER, Decimal("1.45")),
    "LAF-FEST": (BillingModel.TIME_AND_MATERIALS, Decimal("1.5")),
}
#: A fixed price's billing milestones: (name, the deliverable whose acceptance makes it due or None for the
#: project's end date, share of the price).
MILESTONES = (
    ("Discovery accepted", "Discovery report", Decimal("0.25")),
    ("Design concepts signed off", "Design concepts", Decimal("0.35")),
    ("Launch", None, Decimal("0.40")),
)
REJECTION = "Workshop hours on Thursday belong on MDC-BRAND: please move them and submit the week again."
SAMPLE_RATES = Path("projects/billing/samples/eurofxref-hist-sample.csv")


def _money(value: Decimal, places: str = "1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def role(title: str, count: Count) -> JobRole:
    """Our own role ``title`` (no O*NET code), created once."""
    found = JobRole.objects.filter(title=title, code=None).first()
    if found is None:
        found = JobRole.objects.create(title=title, description="An agency role of the demo (invented).")
        count("JobRole")
    return found


def roles_assign(*, people: Iterable[tuple[TeamMember, str]], count: Count) -> None:
    """Give each person without one the role named beside them."""
    for person, title in people:
        if person.job_role_id is None:
            person.job_role = role(title, count)
            person.save(update_fields=["job_role"])


def rate_cards_seed(*, admin: User, since: dt.date, today: dt.date, count: Count) -> None:
    """Each role's card from ``since`` (GBP, and EUR for the Dublin roles), the front-end card's change
    :data:`CARD_CHANGE_DAYS` days before ``today`` and the clients' overrides."""
    for currency, cards in (("GBP", CARDS), ("EUR", EURO_CARDS)):
        for title, rate in cards.items():
            job_role = role(title, count)
            if BillRate.objects.filter(job_role=job_role, currency=currency, client=None, project=None).exists():
                continue
            card = bill_rate_add(actor=admin, job_role=job_role, rate=rate, currency=currency, valid_from=since)
            count("BillRate")
            if title == MEMBER_ROLE and currency == "GBP":
                bill_rate_change(
                    actor=admin,
                    bill_rate=card,
                    rate=CARD_CHANGE,
                    valid_from=today - dt.timedelta(days=CARD_CHANGE_DAYS),
                )
                count("BillRate")
    for name, title, rate in CLIENT_RATES:
        client, job_role = Client.objects.get(name=name), role(title, count)
        if not BillRate.objects.filter(job_role=job_role, client=client).exists():
            bill_rate_add(actor=admin, job_role=job_role, rate=rate, currency="GBP", valid_from=since, client=client)
            count("BillRate")


def project_rates_seed(*, admin: User, project: Project, count: Count) -> None:
    """``project``'s overrides (:data:`PROJECT_RATES`), from its start: before its time is logged."""
    for code, title, rate in PROJECT_RATES:
        job_role = role(title, count)
        if code != project.code or BillRate.objects.filter(job_role=job_role, project=project).exists():
            continue
        bill_rate_add(
            actor=admin,
            job_role=job_role,
            rate=rate,
            currency=project.currency,
            valid_from=project.start_date or project.created_at.date(),
            project=project,
        )
        count("BillRate")


def timesheets_decide(
    *, pm: User, projects: list[Project], member: TeamMember, open_person: TeamMember, today: dt.date
) -> None:
    """The weeks logged on ``projects`` before ``today``'s, submitted and decided by ``pm``: all approved but the
    member's last week (submitted, waiting for the PM), the member's week before on HLF-WEB (rejected with
    :data:`REJECTION`) and ``open_person``'s last week (left open). Time of ``today``'s week stays open."""
    this_week = week_start(today)
    last_week = this_week - dt.timedelta(weeks=1)
    entries = TimeEntry.objects.filter(project__in=projects, approval=Approval.OPEN, date__lt=this_week)
    weeks = sorted({(member_id, week_start(day)) for member_id, day in entries.values_list("member_id", "date")})
    people = {person.pk: person for person in TeamMember.objects.filter(pk__in={pk for pk, _ in weeks})}
    for member_id, monday in weeks:
        if not (member_id == open_person.pk and monday == last_week):
            timesheet_week_submit(member=people[member_id], week_start=monday)
    submitted = TimeEntry.objects.filter(project__in=projects, approval=Approval.SUBMITTED).select_related("project")
    approve: dict[Project, list[int]] = defaultdict(list)
    reject: dict[Project, list[int]] = defaultdict(list)
    for entry in submitted:
        monday = week_start(entry.date)
        if entry.member_id == member.pk and monday == last_week:
            continue  # waits for the PM
        if (
            entry.member_id == member.pk
            and monday == last_week - dt.timedelta(weeks=1)
            and entry.project.code == "HLF-WEB"
        ):
            reject[entry.project].append(entry.pk)
        else:
            approve[entry.project].append(entry.pk)
    for project, ids in approve.items():
        time_entries_decide(project=project, entry_ids=ids, approve=True, actor=pm)
    for project, ids in reject.items():
        time_entries_decide(project=project, entry_ids=ids, approve=False, comment=REJECTION, actor=pm)


def _approved_hours_by_month(project: Project) -> dict[dt.date, Decimal]:
    months: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, hours in TimeEntry.objects.filter(project=project, approval=Approval.APPROVED).values_list(
        "date", "hours"
    ):
        months[day.replace(day=1)] += hours
    return months


def billing_seed(*, project: Project, count: Count) -> None:
    """``project``'s billing (:data:`BILLING`, sized from its budget lines) and, at a fixed price, its billing
    milestones; once."""
    if project.code not in BILLING or ProjectBilling.objects.filter(project=project).exists():
        return
    model, multiple = BILLING[project.code]
    bac = project.budget_lines.aggregate(total=Sum("amount"))["total"] or project.bac or Decimal("0")
    value = _money(bac * multiple, "1E3")
    billing = ProjectBilling(project=project, model=model)
    if model == BillingModel.TIME_AND_MATERIALS:
        billing.contract_value = value
        billing.expense_markup_percent = Decimal("10") if project.currency == "GBP" else Decimal("0")
    elif model == BillingModel.FIXED_PRICE:
        billing.contract_value = value
        for name, deliverable, share in MILESTONES:
            BillingMilestone.objects.create(
                project=project,
                name=name,
                amount=_money(value * share),
                deliverable=Deliverable.objects.filter(project=project, name=deliverable).first()
                if deliverable
                else None,
                due_on=None if deliverable else project.end_date,
            )
            count("BillingMilestone")
    else:
        start, end = project.start_date, project.end_date
        months = (end.year - start.year) * 12 + end.month - start.month + 1 if start and end else 12
        billing.retainer_fee = _money(value / months, "1E2")
        # A third of the busiest month's approved hours: with a month's hours rolled over, that month still runs
        # a third into overage.
        busiest = max(_approved_hours_by_month(project).values(), default=Decimal("30"))
        billing.retainer_hours = max(Decimal("5"), _money(busiest / 3 / 5) * 5)
        billing.rollover_months = 1
        billing.overage_rate = Decimal("95")
    billing.save()
    count("ProjectBilling")


def margin_targets_seed() -> None:
    """The clients' target margins, where none is set."""
    for name, target in MARGIN_TARGETS.items():
        Client.objects.filter(name=name, margin_target_percent=None).update(margin_target_percent=target)


def exchange_rates_seed(*, count: Count, today: dt.date) -> None:
    """The sample ECB file's rates (``import_rates``); a second run adds nothing.

    The sample ends on a fixed day, the demo's dates follow the day it is run: a demo run more than a few days
    later would show every EUR total as a gap. Then the sample's last rates are also written on the last
    weekday up to ``today``, their source saying so (never in the sample itself, never outside the demo).
    """
    sample = rates_file_read(path=Path(settings.BASE_DIR) / SAMPLE_RATES)
    done = exchange_rates_import(rates=sample)
    count("ExchangeRate", done.added)
    last = max(sample.dates)
    weekday = today - dt.timedelta(days=max(0, today.weekday() - 4))
    if weekday <= last:
        return
    for quote in (q for q in sample.quotes if q.date == last):
        _, created = ExchangeRate.objects.get_or_create(
            date=weekday,
            currency=quote.currency,
            defaults={"rate": quote.rate, "source": f"Demo: the sample's rate of {last:%d %b %Y}, carried forward"},
        )
        count("ExchangeRate", int(created))


#: The client invoiced in the demo (time and materials on HLF-WEB, billing details and a billing contact in
#: ``projects.demo.world``) and how long ago its first invoice was issued.
INVOICED_CLIENT = "Harbourlight Ferries"
INVOICE_ISSUED_DAYS_AGO = 20


def invoices_seed(*, admin: User, today: dt.date, count: Count) -> None:
    """:data:`INVOICED_CLIENT`'s invoices, as its account manager would have made them: the first week of
    approved time invoiced :data:`INVOICE_ISSUED_DAYS_AGO` days ago and emailed to the billing contact (the
    outbox sends it when the worker runs), and a draft of the approved time since;
    nothing when the client has an invoice already or no approved time."""
    client = Client.objects.get(name=INVOICED_CLIENT)
    if Invoice.objects.filter(client=client).exists():
        return
    days = TimeEntry.objects.filter(project__client=client, approval=Approval.APPROVED).order_by("date")
    first = days.values_list("date", flat=True).first()
    issued_on = today - dt.timedelta(days=INVOICE_ISSUED_DAYS_AGO)
    if first is None or first >= issued_on:
        return
    period_end = min(first + dt.timedelta(days=6), issued_on - dt.timedelta(days=1))
    issued = invoice_issue(
        actor=admin,
        invoice=invoice_draft(actor=admin, client=client, period_start=first, period_end=period_end),
        on=issued_on,
    )
    count("Invoice")
    count("InvoiceDelivery", len(invoice_send(actor=admin, invoice=issued)))
    draft = invoice_draft(actor=admin, client=client, period_start=period_end + dt.timedelta(days=1), period_end=today)
    if not draft.lines.exists():
        invoice_discard(actor=admin, invoice=draft)
        return
    count("Invoice")
