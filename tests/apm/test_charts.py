"""The charts' accessible names: each chart's figures in words, as ``aria-label`` and as the svg's ``<title>``.

WeasyPrint tags an inline svg as a Figure whose ``/Alt`` is its ``<title>``
child; a browser reads the ``aria-label``. Both carry the same words.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from apm.charts.burn_up import burn_up_svg
from apm.charts.gantt import gantt_svg
from apm.charts.rag import rag_distribution_svg
from apm.charts.timeline import milestone_timeline_svg


def accessible_name(svg: str) -> str:
    """The svg's ``aria-label``, checked equal to its first child, a ``<title>``."""
    label = re.match(r'<svg [^>]*aria-label="([^"]*)"[^>]*><title>([^<]*)</title>', svg)
    assert label, svg[:300]
    assert label.group(1) == label.group(2)
    return html.unescape(label.group(1))


def test_it_says_the_burn_up_figures_at_the_last_known_date_and_the_plans_total():
    series = [
        {"date": dt.date(2025, 1, 31), "pv": Decimal("40000"), "ev": Decimal("30000"), "ac": Decimal("35000")},
        {"date": dt.date(2025, 3, 31), "pv": Decimal("120000"), "ev": Decimal("98000"), "ac": Decimal("105000")},
        {"date": dt.date(2025, 6, 30), "pv": Decimal("300000"), "ev": None, "ac": None},
    ]
    assert accessible_name(burn_up_svg(series, currency="GBP", title="Burn-up")) == (
        "Burn-up. Planned £120,000, earned £98,000, actual £105,000 at 31 Mar 2025; planned £300,000 by 30 Jun 2025."
    )
    assert accessible_name(burn_up_svg([], currency="GBP", title="Burn-up")) == "Burn-up. No plan or costs yet."


def test_it_counts_every_rag_in_words():
    svg = rag_distribution_svg(counts={"red": 3, "amber": 5, "green": 4}, title="RAG distribution")
    assert accessible_name(svg) == "RAG distribution: 3 red, 5 amber, 4 green, 0 not rated"


def test_it_lists_the_milestones_with_their_state_and_date():
    milestones = [
        {"name": "Go-live", "due_date": "2025-06-20", "completed_on": None, "state": "overdue"},
        {"name": "Design & build", "due_date": "2025-03-10", "completed_on": "2025-03-03", "state": "done"},
        {"name": "Handover", "due_date": "2025-09-01", "completed_on": None, "state": "upcoming"},
    ]
    svg = milestone_timeline_svg(milestones=milestones, today=dt.date(2025, 6, 30), max_items=2)
    assert accessible_name(svg) == (
        "Milestone timeline at 30 Jun 2025: Design & build done 3 Mar 2025; Go-live overdue, due 20 Jun 2025 "
        "(2 of 3 shown)"
    )


def test_it_describes_each_deliverable_of_the_gantt_chart():
    rows = [
        {
            "name": "Discovery",
            "start": dt.date(2025, 1, 6),
            "end": dt.date(2025, 2, 28),
            "baseline_start": dt.date(2025, 1, 6),
            "baseline_end": dt.date(2025, 2, 14),
            "status": "accepted",
            "percent": 100,
        },
        {"name": "Build", "start": None, "end": "2025-07-31", "status": "in_progress", "percent": 40},
    ]
    assert accessible_name(gantt_svg(rows=rows, today=dt.date(2025, 6, 30))) == (
        "Deliverables timeline at 30 Jun 2025: Discovery: accepted, 100% complete, 6 Jan 2025 to 28 Feb 2025, "
        "14 days late; Build: in progress, 40% complete, 31 Jul 2025 to 31 Jul 2025"
    )
