"""Report snapshots built for tests: March 2025 unless a test says otherwise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from reports.snapshot import report_build_snapshot

PERIOD_START = dt.date(2025, 3, 1)
PERIOD_END = dt.date(2025, 3, 31)

#: Internal money the ``internal_money`` fixture plants on ALPHA-1: none of it may reach a client.
BAC = Decimal("987654321.12")
BUDGET = Decimal("13579246.8")
FORECAST = Decimal("24681357.9")
WLC = Decimal("97531864.2")
BUDGET_COMMENTARY = "Internal margin talk. Margin squeeze on the rate card."


def build_snapshot(**kwargs: Any) -> dict[str, Any]:
    """``report_build_snapshot`` with defaults: the internal portfolio of a department for March 2025.

    Keyword arguments are those of ``report_build_snapshot`` and override the defaults. A portfolio shows every
    project's commentary (``full_commentary``), which these tests read; the short form's are in
    ``tests/reports/kinds/test_portfolio_attention.py``.
    """
    defaults: dict[str, Any] = {
        "kind": "portfolio",
        "audience": "internal",
        "scope": "department",
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
        "title": "Portfolio",
        "full_commentary": True,
    }
    return report_build_snapshot(**{**defaults, **kwargs})
