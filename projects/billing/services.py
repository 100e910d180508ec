"""Writes of billing: the rate cards (a bill rate added, a rate changed from a date), a project's billing model
and terms, its billing milestones, and a client's margin target.

Every function raises ``apm.errors.Refused`` with the sentence to show,
before anything is written or inside the transaction that would have
written it. A project's billing and milestones are the PM's and the
administrators' (``access.edit_budget``): each change is recorded in the
budget history (``budget_event_record``) and followed by the margin check
(``projects.billing.alerts.margin_check``), which raises or closes the
project's margin alert. A client's margin target is the administrators'
(``access.manage_rates``) and is followed by the margin check of each of the
client's projects that is not closed.

A rate is never edited: a change ends the rate the day before and adds the
new one, so the history stays whole (and entries keep the rate stored with
them whatever happens here). Rates of one role, currency and scope (the card,
a client, a project) never overlap. Only ``access.manage_rates`` may write them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.dates import EARLIEST, LATEST
from apm.errors import Refused
from apm.formatting import format_date
from projects.billing import selectors
from projects.billing.alerts import margin_check
from projects.billing.invoice_lines import invoices_holding
from projects.budget.services.events import budget_event_record
from projects.models import (
    BillingMilestone,
    BillingModel,
    BillRate,
    Client,
    InvoiceItem,
    Project,
    ProjectBilling,
    ProjectStatus,
    Recognition,
)
from teams.models import JobRole

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Deliverable

NOT_ALLOWED = "Only administrators keep the rate cards."


def _day(value: dt.date | None) -> str:
    return format_date(value) if value is not None else "open-ended"


def _check_dates(valid_from: dt.date, valid_to: dt.date | None) -> None:
    for day in (valid_from, valid_to):
        if day is not None and not (EARLIEST <= day <= LATEST):
            raise Refused(f"Dates run from {_day(EARLIEST)} to {_day(LATEST)}.")
    if valid_to is not None and valid_to < valid_from:
        raise Refused("A rate ends on or after the day it starts.")


def _refuse_overlap(rate: BillRate, *, exclude_pk: int | None = None) -> None:
    refusal = selectors.overlap_refusal(rate, exclude_pk=exclude_pk)
    if refusal is not None:
        raise Refused(refusal)


def bill_rate_add(
    *,
    actor: User,
    job_role: JobRole,
    rate: Decimal,
    currency: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    client: Client | None = None,
    project: Project | None = None,
) -> BillRate:
    """Add what an hour of ``job_role`` is billed at (``rate`` > 0 per hour in ``currency``) from ``valid_from``
    to ``valid_to`` (None: open-ended): the role's card, or an override for ``client`` or for ``project``.

    Raises ``Refused`` when ``actor`` may not manage rates, both a client and a
    project are given, a project's override is not in the project's
    currency, the dates are out of order or outside 1900-2200, the model
    refuses a value (a rate of zero or less, or over 99,999,999.99), or the
    rate overlaps another of the same role, currency and scope.
    """
    access.manage_rates.require(actor, NOT_ALLOWED)
    if client is not None and project is not None:
        raise Refused("A rate is for a client or for a project, not both.")
    if project is not None and currency != project.currency:
        raise Refused(f"{project.code} is billed in {project.currency}: its rates must be in {project.currency}.")
    _check_dates(valid_from, valid_to)
    new = BillRate(
        job_role=job_role,
        client=client,
        project=project,
        rate=rate,
        currency=currency.upper(),
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor,
    )
    validation.clean(new)
    with transaction.atomic():
        # One writer of a role's rates at a time: two overlapping rates cannot both pass the check.
        JobRole.objects.select_for_update().filter(pk=job_role.pk).first()
        _refuse_overlap(new)
        new.save(force_insert=True)
    return new


def bill_rate_change(*, actor: User, bill_rate: BillRate, rate: Decimal, valid_from: dt.date) -> BillRate:
    """Change ``bill_rate`` to ``rate`` from ``valid_from`` on: it ends the day before and a new rate of the same
    role, currency and scope runs from ``valid_from`` to the day it ended (open-ended if it was). Returns the new
    rate; the past is not edited.

    Raises ``Refused`` when ``actor`` may not manage rates, ``valid_from`` is
    not after the rate's start or is past its end, the new rate is the same,
    the model refuses the rate, or the rate changed meanwhile (another
    administrator ended it earlier).
    """
    access.manage_rates.require(actor, NOT_ALLOWED)
    _check_dates(valid_from, None)
    with transaction.atomic():
        JobRole.objects.select_for_update().filter(pk=bill_rate.job_role_id).first()
        old = (
            BillRate.objects.select_for_update(of=("self",))
            .select_related("job_role", "client", "project")
            .filter(pk=bill_rate.pk)
            .first()
        )
        if old is None:
            raise Refused("That rate no longer exists; reload the page.")
        if valid_from <= old.valid_from:
            raise Refused(
                f"A change starts after the rate it changes, which starts on {_day(old.valid_from)}: "
                f"choose a later date."
            )
        if old.valid_to is not None and valid_from > old.valid_to:
            raise Refused(
                f"That rate ended on {_day(old.valid_to)}: a change starts while it is valid. "
                "Add a new rate for later dates instead."
            )
        if Decimal(rate) == old.rate:
            raise Refused(f"The rate is already {old.rate} {old.currency}; nothing to change.")
        new = BillRate(
            job_role=old.job_role,
            client=old.client,
            project=old.project,
            rate=rate,
            currency=old.currency,
            valid_from=valid_from,
            valid_to=old.valid_to,
            created_by=actor,
        )
        validation.clean(new)
        old.valid_to = valid_from - dt.timedelta(days=1)
        old.save(update_fields=["valid_to"])
        _refuse_overlap(new)
        new.save(force_insert=True)
    return new


# --- A project's billing ---------------------------------------------------------------------------------------

NOT_THE_PM = "Only the project manager or an administrator sets how the project bills."
ZERO = Decimal("0")
CENT = Decimal("0.01")
#: The largest sum of money a billing term takes (a trillion): more is a typing slip, and the columns' limit.
MAX_MONEY = Decimal(10**12)
#: The largest expense markup (%): a markup above the expense itself is a typing slip.
MAX_MARKUP = Decimal("100")
#: The most hours a retainer allows a month, and the most months unused hours roll over for.
MAX_RETAINER_HOURS = Decimal("10000")
MAX_ROLLOVER_MONTHS = 24
#: The highest overage rate an hour (the column's limit).
MAX_RATE = Decimal("99999999.99")


#: The terms each billing model reads (the others are cleared when it is chosen).
MODEL_TERMS: dict[str, tuple[str, ...]] = {
    BillingModel.TIME_AND_MATERIALS: ("contract_value", "expense_markup_percent"),
    BillingModel.FIXED_PRICE: ("contract_value", "recognition"),
    BillingModel.RETAINER: ("retainer_fee", "retainer_hours", "rollover_months", "overage_rate"),
}


def _checked(value: Decimal, what: str, *, most: Decimal) -> Decimal:
    """``value`` if it is a number above zero and at most ``most``, else ``Refused`` naming ``what``."""
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise Refused(f"Enter {what} above zero.")
    if value > most:
        raise Refused(f"Enter {what} of at most {most:,}.")
    # Two places, as stored and recorded ("12000" is 12000.00); more places are the model's to refuse.
    return value.quantize(CENT) if value == value.quantize(CENT) else value


def _amount(value: Decimal | None, what: str, *, most: Decimal, required: bool = False) -> Decimal | None:
    """:func:`_checked` ``value``; None when it is None and not ``required`` (then ``Refused``)."""
    if value is None:
        if required:
            raise Refused(f"Enter {what}.")
        return None
    return _checked(value, what, most=most)


def _today() -> dt.date:
    return timezone.localdate()


def project_billing_set(
    *,
    actor: User,
    project: Project,
    model: str,
    contract_value: Decimal | None = None,
    expense_markup_percent: Decimal | None = None,
    recognition: str = Recognition.MILESTONES,
    retainer_fee: Decimal | None = None,
    retainer_hours: Decimal | None = None,
    rollover_months: int | None = None,
    overage_rate: Decimal | None = None,
) -> ProjectBilling:
    """Set how ``project`` bills: ``model`` (a ``BillingModel`` value) and the terms that model reads; the
    other terms are cleared, so the page never shows a term that counts for nothing.

    * time and materials: ``contract_value`` the not-to-exceed amount (None:
      the budget caps it) and ``expense_markup_percent`` (0 to 100);
    * fixed price: ``contract_value`` the price (needed) and ``recognition``
      (a ``Recognition`` value: by billing milestones or percent complete);
    * retainer: ``retainer_fee`` a month and ``retainer_hours`` it allows
      (both needed), ``rollover_months`` (0 to 24) and ``overage_rate`` an
      hour (None: overage earns nothing, which the page says).

    Money in the project's currency, above zero and at most a trillion.
    Records ``billing_set`` in the budget history, then runs the margin
    check. Raises ``Refused`` when ``actor`` may not edit the budget, the
    model or recognition is unknown, a term the model needs is missing, or a
    value is zero or less where it must be more, negative, or absurd.
    """
    access.edit_budget.require(actor, project, NOT_THE_PM)
    if model not in BillingModel.values:
        raise Refused("Choose how the project bills: time and materials, fixed price or a retainer.")
    terms: dict[str, object] = {
        "contract_value": None,
        "expense_markup_percent": ZERO,
        "recognition": Recognition.MILESTONES,
        "retainer_fee": None,
        "retainer_hours": None,
        "rollover_months": 0,
        "overage_rate": None,
    }
    if model == BillingModel.TIME_AND_MATERIALS:
        terms["contract_value"] = _amount(contract_value, "a not-to-exceed amount", most=MAX_MONEY)
        markup = Decimal(expense_markup_percent if expense_markup_percent is not None else ZERO)
        if not markup.is_finite() or not ZERO <= markup <= MAX_MARKUP:
            raise Refused("An expense markup runs from 0 to 100 %.")
        terms["expense_markup_percent"] = markup
    elif model == BillingModel.FIXED_PRICE:
        terms["contract_value"] = _amount(contract_value, "the price", most=MAX_MONEY, required=True)
        if recognition not in Recognition.values:
            raise Refused("Choose when revenue is recognised: as billing milestones fall due, or by percent complete.")
        terms["recognition"] = recognition
    else:
        terms["retainer_fee"] = _amount(retainer_fee, "the monthly fee", most=MAX_MONEY, required=True)
        terms["retainer_hours"] = _amount(retainer_hours, "the hours a month", most=MAX_RETAINER_HOURS, required=True)
        months = rollover_months if rollover_months is not None else 0
        if not 0 <= months <= MAX_ROLLOVER_MONTHS:
            raise Refused(f"Unused hours roll over for 0 to {MAX_ROLLOVER_MONTHS} months.")
        terms["rollover_months"] = months
        terms["overage_rate"] = _amount(overage_rate, "an overage rate", most=MAX_RATE)
    with transaction.atomic():
        billing = ProjectBilling.objects.select_for_update().filter(project=project).first()
        if billing is None:
            billing = ProjectBilling(project=project)
        billing.model = model
        for name, value in terms.items():
            setattr(billing, name, value)
        validation.clean(billing, exclude=["project"])
        billing.save()
        budget_event_record(
            project=project,
            actor=actor,
            action="billing_set",
            model=model,
            **{name: terms[name] for name in MODEL_TERMS[model] if terms[name] is not None},
        )
        margin_check(project=project, as_of=_today())
    return billing


def billing_milestone_add(
    *,
    actor: User,
    project: Project,
    name: str,
    amount: Decimal,
    deliverable: Deliverable | None = None,
    due_on: dt.date | None = None,
) -> BillingMilestone:
    """Add a billing milestone of ``amount`` (money in the project's currency, above zero) to the fixed-price
    ``project``: it falls due when ``deliverable`` (one of the project's) is accepted, or on ``due_on``.

    Records ``billing_milestone_added`` in the budget history, then runs the
    margin check. Raises ``Refused`` when ``actor`` may not edit the budget,
    the project is not fixed price, the name is empty, the amount is zero or
    less or absurd, neither or both of a deliverable and a date are given,
    the deliverable is another project's, the date is outside 1900-2200, or
    the milestones would add up to more than the price.
    """
    access.edit_budget.require(actor, project, NOT_THE_PM)
    name = (name or "").strip()
    if not name:
        raise Refused("Name the milestone, e.g. “Design accepted”.")
    if amount is None:
        raise Refused("Enter the milestone's amount.")
    value = _checked(amount, "the milestone's amount", most=MAX_MONEY)
    if (deliverable is None) == (due_on is None):
        raise Refused("A milestone falls due on a deliverable's acceptance or on a date: choose one of the two.")
    if deliverable is not None and deliverable.project_id != project.pk:
        raise Refused("That deliverable is not one of this project's.")
    if due_on is not None and not (EARLIEST <= due_on <= LATEST):
        raise Refused(f"Dates run from {_day(EARLIEST)} to {_day(LATEST)}.")
    with transaction.atomic():
        billing = ProjectBilling.objects.select_for_update().filter(project=project).first()
        if billing is None or billing.model != BillingModel.FIXED_PRICE:
            raise Refused(
                "Billing milestones are for fixed-price projects: set the billing model to fixed price first."
            )
        price = billing.contract_value or ZERO
        planned = sum((m.amount for m in BillingMilestone.objects.filter(project=project)), ZERO)
        if planned + value > price:
            raise Refused(
                f"The milestones would add up to {selectors.rate_text(planned + value, project.currency)}, more "
                f"than the price of {selectors.rate_text(price, project.currency)}: lower the amount or raise the "
                "price first."
            )
        milestone = BillingMilestone(project=project, name=name, amount=value, deliverable=deliverable, due_on=due_on)
        validation.clean(milestone, exclude=["project", "deliverable"])
        milestone.save(force_insert=True)
        budget_event_record(
            project=project,
            actor=actor,
            action="billing_milestone_added",
            milestone=name,
            milestone_amount=value,
            falls_due=deliverable.name if deliverable is not None else due_on,
        )
        margin_check(project=project, as_of=_today())
    return milestone


def billing_milestone_remove(*, actor: User, milestone: BillingMilestone) -> None:
    """Remove ``milestone`` (revenue it recognised goes with it). Records ``billing_milestone_removed`` in the
    budget history, then runs the margin check. Raises ``Refused`` when ``actor`` may not edit the budget, or the
    milestone is on an invoice (issued, or a draft)."""
    project = milestone.project
    access.edit_budget.require(actor, project, NOT_THE_PM)
    with transaction.atomic():
        numbers, drafted = invoices_holding(InvoiceItem.objects.filter(milestone=milestone))
        if numbers:
            raise Refused(
                f"“{milestone.name}” is billed on {', '.join(numbers)}: it stays unless the invoice is credited."
            )
        if drafted:
            raise Refused(f"“{milestone.name}” is on a draft invoice: remove its line or discard the draft first.")
        deleted, _ = BillingMilestone.objects.filter(pk=milestone.pk).delete()
        if not deleted:
            raise Refused("That milestone was removed meanwhile; reload the page.")
        budget_event_record(
            project=project,
            actor=actor,
            action="billing_milestone_removed",
            milestone=milestone.name,
            milestone_amount=milestone.amount,
        )
        margin_check(project=project, as_of=_today())


def client_margin_target_set(*, actor: User, client: Client, target_percent: Decimal | None) -> Client:
    """Set ``client``'s margin target (``target_percent``, 0 to 100, two places; None: no target), then run the
    margin check of each of its projects that is not closed (raising or closing their margin alerts).

    Raises ``Refused`` when ``actor`` may not manage rates (administrators
    only) or the value is outside 0-100.
    """
    access.manage_rates.require(actor, "Only administrators set a client's margin target.")
    if target_percent is not None:
        target_percent = Decimal(target_percent)
        if not target_percent.is_finite() or not ZERO <= target_percent <= Decimal("100"):
            raise Refused("A margin target runs from 0 to 100 %.")
    client.margin_target_percent = target_percent
    validation.clean(client, fields=["margin_target_percent"])
    today = _today()
    with transaction.atomic():
        client.save(update_fields=["margin_target_percent"])
        for project in Project.objects.filter(client=client).exclude(status=ProjectStatus.CLOSED).order_by("code"):
            margin_check(project=project, as_of=today)
    return client
