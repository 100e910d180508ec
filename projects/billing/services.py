"""Writes of the rate cards: a bill rate added, and a rate changed from a date.

A rate is never edited: a change ends the rate the day before and adds the
new one, so the history stays whole (and entries keep the rate stored with
them whatever happens here). Rates of one role, currency and scope (the card,
a client, a project) never overlap. Only ``access.manage_rates`` may write;
each function raises ``apm.errors.Refused`` with the sentence to show, before
anything is written or inside the transaction that would have written it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from apm import access, validation
from apm.dates import EARLIEST, LATEST
from apm.errors import Refused
from apm.formatting import format_date
from projects.billing import selectors
from projects.models import BillRate
from teams.models import JobRole

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Client, Project

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
            BillRate.objects.select_for_update()
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
