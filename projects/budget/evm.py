"""Earned value management: pure arithmetic, no database.

Definitions and formulas follow the PMI *PMBOK Guide* (6th ed., section
7.4.2.2 "Earned value analysis" and table 7-1 "Earned value calculations
summary"); the same formulas are in the PMI *Practice Standard for Earned
Value Management* (2nd ed.). Names:

=====  ========================================================  ===========================
name   meaning                                                   formula
=====  ========================================================  ===========================
BAC    budget at completion (the whole planned budget)           sum of budget lines
PV     planned value: budgeted cost of work scheduled to date    from the baseline plan
EV     earned value: budgeted cost of work performed to date     BAC * percent complete / 100
AC     actual cost of the work performed to date                 sum of costs to date
CV     cost variance                                             EV - AC
SV     schedule variance                                         EV - PV
CPI    cost performance index                                    EV / AC
SPI    schedule performance index                                EV / PV
EAC    estimate at completion, three variants (PMBOK table 7-1):
       - typical (current variances will go on)                  BAC / CPI
       - atypical (current variances will not recur)             AC + (BAC - EV)
       - bottom-up (a new estimate of the work left)             AC + bottom-up ETC
ETC    estimate to complete                                      EAC - AC
VAC    variance at completion                                    BAC - EAC
TCPI   to-complete performance index, to finish on BAC           (BAC - EV) / (BAC - AC)
       ... or on the current EAC                                 (BAC - EV) / (EAC - AC)
=====  ========================================================  ===========================

Burn rate is AC per elapsed calendar day (and per week = 7 days). The
forecast finish date uses the PMBOK's schedule forecast by SPI: planned
duration / SPI from the start date (an "independent estimate"; it drifts
towards the plan late in a project, which is a known limit of SPI).

Money is Decimal, rounded half-up to the currency's minor unit (2 places)
by :func:`money`; indices (CPI, SPI, TCPI) are Decimal rounded half-up to
4 places by :func:`index`. A ratio whose denominator is zero is None
(undefined), never infinity or a float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
INDEX_PLACES = Decimal("0.0001")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def money(value: Decimal | int | str) -> Decimal:
    """``value`` as money: Decimal rounded half-up to the minor unit (0.01). Floats are refused.

    Raises TypeError for a float (binary floating point cannot hold money).
    """
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a Decimal, an int or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def index(value: Decimal | None) -> Decimal | None:
    """A performance index rounded half-up to 4 places, or None."""
    return None if value is None else value.quantize(INDEX_PLACES, rounding=ROUND_HALF_UP)


def money_sum(values: Iterable[Decimal]) -> Decimal:
    """Exact sum of money amounts (each already at the minor unit), as money."""
    return money(sum(values, ZERO))


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (money) in proportion to ``weights`` so that the parts sum exactly to it.

    Largest-remainder method on minor units: each part is rounded down to the
    cent, and the cents left over go to the parts with the largest remainders
    (ties to the earliest). Raises ValueError for no weights, a negative
    weight, or weights summing to zero.
    """
    total = money(total)
    if not weights or any(w < 0 for w in weights):
        raise ValueError("Weights must be a non-empty list of non-negative numbers.")
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        raise ValueError("Weights must not all be zero.")
    cents = int(total / CENT)
    raw = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(r.to_integral_value(rounding="ROUND_FLOOR")) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: abs(left)]:
        floors[i] += 1 if left > 0 else -1
    return [Decimal(c) * CENT for c in floors]


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class PlanMilestone:
    """A milestone of the baseline plan: planned date and relative weight (>= 0)."""

    due_date: dt.date
    weight: Decimal


def planned_percent(
    *, start: dt.date | None, finish: dt.date | None, milestones: Sequence[PlanMilestone], as_of: dt.date
) -> Decimal:
    """Share of the plan (0-100, Decimal) scheduled to be done by the end of ``as_of``.

    With weighted milestones (any weight > 0): the weights of milestones
    due on or before ``as_of`` over the total weight (value is earned at the
    milestone, the PMBOK "weighted milestone" method). Otherwise linear
    over the project's dates: elapsed days (``as_of`` - ``start`` + 1)
    over planned days (``finish`` - ``start`` + 1), clamped to 0-100.
    No dates and no weights: 0.
    """
    weighted = [m for m in milestones if m.weight > 0]
    if weighted:
        total = sum((m.weight for m in weighted), ZERO)
        done = sum((m.weight for m in weighted if m.due_date <= as_of), ZERO)
        return done * HUNDRED / total
    if start is None or finish is None or finish < start:
        return ZERO
    if as_of < start:
        return ZERO
    if as_of >= finish:
        return HUNDRED
    elapsed = (as_of - start).days + 1
    planned = (finish - start).days + 1
    return Decimal(elapsed) * HUNDRED / Decimal(planned)


def planned_value(*, bac: Decimal, planned_pct: Decimal) -> Decimal:
    """PV = BAC * planned percent / 100 (money)."""
    return money(bac * planned_pct / HUNDRED)


def earned_value(*, bac: Decimal, percent_complete: Decimal) -> Decimal:
    """EV = BAC * percent complete / 100 (money; percent complete 0-100)."""
    return money(bac * percent_complete / HUNDRED)


def cpi(*, ev: Decimal, ac: Decimal) -> Decimal | None:
    """CPI = EV / AC; None when AC is zero."""
    return index(_ratio(ev, ac))


def spi(*, ev: Decimal, pv: Decimal) -> Decimal | None:
    """SPI = EV / PV; None when PV is zero."""
    return index(_ratio(ev, pv))


def eac_typical(*, bac: Decimal, ev: Decimal, ac: Decimal) -> Decimal | None:
    """EAC = BAC / CPI (variances seen so far will go on). None when CPI is undefined or zero.

    Computed as BAC * AC / EV, which equals BAC / CPI without rounding CPI first.
    """
    if ac == 0 or ev == 0:
        return None
    return money(bac * ac / ev)


def eac_atypical(*, bac: Decimal, ev: Decimal, ac: Decimal) -> Decimal:
    """EAC = AC + (BAC - EV) (the variance so far will not recur)."""
    return money(ac + (bac - ev))


def eac_bottom_up(*, ac: Decimal, etc: Decimal) -> Decimal:
    """EAC = AC + bottom-up ETC (a new estimate of the work left)."""
    return money(ac + etc)


def tcpi(*, bac: Decimal, ev: Decimal, ac: Decimal, target: Decimal | None = None) -> Decimal | None:
    """TCPI = (BAC - EV) / (target - AC), target BAC by default (or the EAC); None when target = AC."""
    goal = bac if target is None else target
    return index(_ratio(bac - ev, goal - ac))


def forecast_finish(*, start: dt.date | None, finish: dt.date | None, spi_value: Decimal | None) -> dt.date | None:
    """Start + planned duration / SPI (calendar days, rounded half-up); the plan's finish when SPI is undefined.

    None without planned dates. Planned duration = finish - start (days).
    """
    if start is None or finish is None:
        return None
    if spi_value is None or spi_value <= 0:
        return finish
    days = Decimal((finish - start).days) / spi_value
    return start + dt.timedelta(days=int(days.quantize(Decimal("1"), rounding=ROUND_HALF_UP)))


@dataclass(frozen=True)
class EvmInputs:
    """Everything EVM needs for one project as of a date (money in one currency)."""

    bac: Decimal
    ac: Decimal
    percent_complete: Decimal
    as_of: dt.date
    start: dt.date | None
    finish: dt.date | None
    milestones: tuple[PlanMilestone, ...] = ()
    etc_bottom_up: Decimal | None = None


@dataclass(frozen=True)
class EvmMetrics:
    """The earned value figures of one project as of a date (see the module table).

    ``eac`` is the forecast used for tolerances and RAG: the bottom-up EAC
    when the PM gave an ETC, else BAC / CPI, else (nothing spent yet) BAC;
    ``eac_method`` names it. ``burn_rate_per_day`` / ``_per_week`` are money
    per calendar day / week since the start.
    """

    as_of: dt.date
    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    cv: Decimal
    sv: Decimal
    cpi: Decimal | None
    spi: Decimal | None
    eac_typical: Decimal | None
    eac_atypical: Decimal
    eac_bottom_up: Decimal | None
    eac: Decimal
    eac_method: str
    etc: Decimal
    vac: Decimal
    tcpi_bac: Decimal | None
    tcpi_eac: Decimal | None
    planned_percent: Decimal
    percent_complete: Decimal
    burn_rate_per_day: Decimal | None
    burn_rate_per_week: Decimal | None
    planned_finish: dt.date | None
    forecast_finish: dt.date | None

    def as_json(self) -> dict[str, str | None]:
        """The figures as JSON-ready strings (Decimal and ISO dates; None kept)."""
        out: dict[str, str | None] = {}
        for key, value in asdict(self).items():
            out[key] = None if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


EAC_TYPICAL = "BAC / CPI"
EAC_ATYPICAL = "AC + (BAC - EV)"
EAC_BOTTOM_UP = "AC + bottom-up ETC"
EAC_NO_COST = "BAC, as nothing is spent yet"


def _forecast(
    *, bac: Decimal, ac: Decimal, typical: Decimal | None, atypical: Decimal, bottom_up: Decimal | None
) -> tuple[Decimal, str]:
    """The EAC to forecast with and its method: bottom-up when there is an estimate, else typical (BAC / CPI),
    else BAC while nothing is spent, else atypical (money spent, nothing earned: CPI cannot project it)."""
    if bottom_up is not None:
        return bottom_up, EAC_BOTTOM_UP
    if typical is not None:
        return typical, EAC_TYPICAL
    if ac == 0:
        return bac, EAC_NO_COST
    return atypical, EAC_ATYPICAL


def forecast_at_completion(
    *, bac: Decimal, ac: Decimal, percent_complete: Decimal, etc_bottom_up: Decimal | None
) -> tuple[Decimal, Decimal, Decimal]:
    """(BAC, EAC, VAC) as :func:`evm_compute` gives them for these inputs, without the plan: what a summary of
    many projects adds up, by the same steps as :func:`_forecast` takes them, computing only the estimate it
    chooses (a department's summary forecasts a thousand projects a request)."""
    bac, ac = money(bac), money(ac)
    if etc_bottom_up is not None:
        eac = eac_bottom_up(ac=ac, etc=etc_bottom_up)
    else:
        ev = earned_value(bac=bac, percent_complete=max(ZERO, min(HUNDRED, percent_complete)))
        typical = eac_typical(bac=bac, ev=ev, ac=ac)
        if typical is not None:
            eac = typical
        elif ac == 0:
            eac = bac
        else:
            eac = eac_atypical(bac=bac, ev=ev, ac=ac)
    return bac, eac, money(bac - eac)


def evm_compute(inputs: EvmInputs) -> EvmMetrics:
    """All EVM figures for ``inputs`` (formulas in the module docstring)."""
    bac, ac = money(inputs.bac), money(inputs.ac)
    pct = max(ZERO, min(HUNDRED, inputs.percent_complete))
    planned_pct = planned_percent(
        start=inputs.start, finish=inputs.finish, milestones=inputs.milestones, as_of=inputs.as_of
    )
    pv = planned_value(bac=bac, planned_pct=planned_pct)
    ev = earned_value(bac=bac, percent_complete=pct)
    cpi_value = cpi(ev=ev, ac=ac)
    spi_value = spi(ev=ev, pv=pv)
    typical = eac_typical(bac=bac, ev=ev, ac=ac)
    atypical = eac_atypical(bac=bac, ev=ev, ac=ac)
    bottom_up = eac_bottom_up(ac=ac, etc=inputs.etc_bottom_up) if inputs.etc_bottom_up is not None else None
    eac, method = _forecast(bac=bac, ac=ac, typical=typical, atypical=atypical, bottom_up=bottom_up)
    burn_day = burn_week = None
    if inputs.start is not None and inputs.as_of >= inputs.start:
        days = (inputs.as_of - inputs.start).days + 1
        burn_day = money(ac / days)
        burn_week = money(ac * 7 / days)
    return EvmMetrics(
        as_of=inputs.as_of,
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        cv=money(ev - ac),
        sv=money(ev - pv),
        cpi=cpi_value,
        spi=spi_value,
        eac_typical=typical,
        eac_atypical=atypical,
        eac_bottom_up=bottom_up,
        eac=eac,
        eac_method=method,
        etc=money(eac - ac),
        vac=money(bac - eac),
        tcpi_bac=tcpi(bac=bac, ev=ev, ac=ac),
        tcpi_eac=tcpi(bac=bac, ev=ev, ac=ac, target=eac),
        planned_percent=planned_pct.quantize(CENT, rounding=ROUND_HALF_UP),
        percent_complete=pct,
        burn_rate_per_day=burn_day,
        burn_rate_per_week=burn_week,
        planned_finish=inputs.finish,
        forecast_finish=forecast_finish(start=inputs.start, finish=inputs.finish, spi_value=spi_value),
    )


# --- RAG from the indices ------------------------------------------------------

#: The one place that says how CPI and SPI become a RAG: the worse of the two
#: indices decides. Green at or above 0.95, amber at or above 0.85, red below.
#: No index yet (nothing spent or nothing planned) counts as green for it.
RAG_GREEN_AT = Decimal("0.95")
RAG_AMBER_AT = Decimal("0.85")


def rag_from_indices(*, cpi_value: Decimal | None, spi_value: Decimal | None) -> str:
    """``"green"``, ``"amber"`` or ``"red"`` from the worse of CPI and SPI (thresholds above)."""
    known = [v for v in (cpi_value, spi_value) if v is not None]
    if not known:
        return "green"
    worst = min(known)
    if worst >= RAG_GREEN_AT:
        return "green"
    if worst >= RAG_AMBER_AT:
        return "amber"
    return "red"
