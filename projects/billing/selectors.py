"""Reads of the rate card page: bill rates grouped as a PM reads them, and what its forms offer.

Which rate an entry takes is ``projects.billing.rates``; these are the page's reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from apm.formatting import CURRENCY_SYMBOLS, format_date
from projects.models import BillRate, Client
from teams.models import JobRole


def rate_text(rate: Decimal, currency: str) -> str:
    """A rate per hour as a PM reads it, to the penny: ``£95.00``, ``CHF 140.00``."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{rate:,.2f}" if symbol else f"{currency} {rate:,.2f}"


@dataclass(frozen=True)
class RateLine:
    """One row of a series: ``state`` is "current" (valid on the day shown), "scheduled" (starts later) or
    "ended"; ``amount`` the rate as text; ``changeable`` whether "Change from" applies (not ended)."""

    rate: BillRate
    state: str
    amount: str

    @property
    def changeable(self) -> bool:
        return self.state != "ended"


@dataclass
class RateSeries:
    """The rates of one role in one currency for one scope (the card, a client, a project), newest first."""

    lines: list[RateLine] = field(default_factory=list)

    @property
    def current(self) -> RateLine | None:
        return next((line for line in self.lines if line.state == "current"), None)

    @property
    def scope(self) -> BillRate:
        """A row of the series, for its client or project."""
        return self.lines[0].rate


@dataclass
class RateCard:
    """A role's rates in one currency: its card and the overrides for clients and projects under it."""

    job_role: JobRole
    currency: str
    people: int = 0
    card: RateSeries = field(default_factory=RateSeries)
    clients: list[RateSeries] = field(default_factory=list)
    projects: list[RateSeries] = field(default_factory=list)


def _state(rate: BillRate, today: dt.date) -> str:
    if rate.valid_from > today:
        return "scheduled"
    if rate.valid_to is not None and rate.valid_to < today:
        return "ended"
    return "current"


def rate_cards(*, today: dt.date, people: Mapping[int, int] | None = None) -> list[RateCard]:
    """Every bill rate, as cards by role title and currency, each with its client overrides (by client name)
    and project overrides (by project code), its lines' states as on ``today``. ``people``: how many people hold
    each role (by role id), shown on its cards. One query whatever their number."""
    rows = BillRate.objects.select_related("job_role", "client", "project", "created_by").order_by(
        "job_role__title", "job_role_id", "currency", "client__name", "project__code", "-valid_from", "-pk"
    )
    cards: dict[tuple[int, str], RateCard] = {}
    series: dict[tuple[int, str, int | None, int | None], RateSeries] = {}
    for rate in rows:
        card = cards.get((rate.job_role_id, rate.currency))
        if card is None:
            card = cards[(rate.job_role_id, rate.currency)] = RateCard(
                job_role=rate.job_role, currency=rate.currency, people=(people or {}).get(rate.job_role_id, 0)
            )
        key = (rate.job_role_id, rate.currency, rate.client_id, rate.project_id)
        line = series.get(key)
        if line is None:
            line = series[key] = RateSeries()
            if rate.project_id is not None:
                card.projects.append(line)
            elif rate.client_id is not None:
                card.clients.append(line)
            else:
                card.card = line
        line.lines.append(RateLine(rate=rate, state=_state(rate, today), amount=rate_text(rate.rate, rate.currency)))
    return list(cards.values())


def rate_roles() -> list[JobRole]:
    """Job roles a rate may be for, by title, each with ``people``: how many active people hold it. One query."""
    return list(JobRole.objects.annotate(people=Count("members", filter=Q(members__is_active=True))).order_by("title"))


def rate_clients() -> list[Client]:
    """Clients an override may be for, by name. One query."""
    return list(Client.objects.order_by("name"))


def overlapping(
    *,
    job_role_id: int,
    currency: str,
    client_id: int | None,
    project_id: int | None,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_pk: int | None = None,
) -> BillRate | None:
    """A rate of the same role, currency and scope (card, that client, that project) whose validity shares a day
    with ``valid_from``-``valid_to`` (None: open-ended), the earliest; None when there is none. One query."""
    scope = (Q(client_id=client_id) if client_id is not None else Q(client__isnull=True)) & (
        Q(project_id=project_id) if project_id is not None else Q(project__isnull=True)
    )
    rows = BillRate.objects.filter(scope, job_role_id=job_role_id, currency=currency).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        rows = rows.filter(valid_from__lte=valid_to)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.select_related("client", "project").order_by("valid_from", "pk").first()


def _day(value: dt.date | None) -> str:
    return format_date(value) if value is not None else "open-ended"


def _scope(rate: BillRate) -> str:
    if rate.project is not None:
        return f"an override for {rate.project.code}"
    if rate.client is not None:
        return f"an override for {rate.client}"
    return "a card rate"


def overlap_refusal(rate: BillRate, *, exclude_pk: int | None = None) -> str | None:
    """The sentence refusing ``rate`` (not saved, or saved as ``exclude_pk``) because another rate of its role,
    currency and scope overlaps it, naming that rate; None when none does. One query."""
    clash = overlapping(
        job_role_id=rate.job_role_id,
        currency=rate.currency,
        client_id=rate.client_id,
        project_id=rate.project_id,
        valid_from=rate.valid_from,
        valid_to=rate.valid_to,
        exclude_pk=exclude_pk,
    )
    if clash is None:
        return None
    return (
        f"{rate.job_role} already has {_scope(clash)} in {clash.currency} of {clash.rate} from "
        f"{_day(clash.valid_from)} to {_day(clash.valid_to)}, which overlaps {_day(rate.valid_from)} to "
        f"{_day(rate.valid_to)}. To change a rate, use “Change from” on it; otherwise choose dates outside it."
    )
