"""Writes of the teams app."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from teams.models import MemberRate, TeamMember


def member_rate_set(
    *,
    member: TeamMember,
    cost_rate: Decimal,
    bill_rate: Decimal,
    valid_from: dt.date,
    currency: str = "GBP",
) -> MemberRate:
    """Give ``member`` new hourly rates from ``valid_from`` on, keeping the history.

    The rate open at ``valid_from`` is closed the day before; past rows are
    never rewritten, so costs already incurred keep their rate. Raises
    ``ValueError`` for negative rates or when a later rate already starts on
    or after ``valid_from`` (change that one instead).
    """
    if cost_rate < 0 or bill_rate < 0:
        raise ValueError("Rates cannot be negative.")
    with transaction.atomic():
        rates = MemberRate.objects.select_for_update().filter(member=member)
        if rates.filter(valid_from__gte=valid_from).exists():
            raise ValueError(f"{member} already has a rate starting on or after {valid_from:%d %b %Y}.")
        rates.filter(valid_to__isnull=True).update(valid_to=valid_from - dt.timedelta(days=1))
        rates.filter(valid_to__gte=valid_from).update(valid_to=valid_from - dt.timedelta(days=1))
        return MemberRate.objects.create(
            member=member,
            cost_rate=cost_rate,
            bill_rate=bill_rate,
            currency=currency.upper(),
            valid_from=valid_from,
        )
