"""Fixtures of the reports tests: due schedules (with ``tests.reports.scheduled``), internal money and a broken
tolerance."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from projects.models import ToleranceException
from tests import factories
from tests.reports.scheduled import NOW
from tests.reports.snapshots import BAC, BUDGET, BUDGET_COMMENTARY, FORECAST, PERIOD_END, WLC


@pytest.fixture
def colleagues(settings):
    """The colleagues these tests add as extra recipients have company addresses (example.com)."""
    settings.APM_INTERNAL_EMAIL_DOMAINS = ["example.com"]


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def internal_money(world):
    """ALPHA-1 with the BAC of ``tests.reports.snapshots`` and an update as of 31 March 2025 with its budget,
    forecast, whole-life cost and budget commentary; returns the project."""
    project = world["alpha_project"]
    project.bac = BAC
    project.save()
    factories.StatusUpdateFactory(
        project=project,
        as_of=PERIOD_END,
        budget_period=BUDGET,
        forecast_period=FORECAST,
        whole_life_cost=WLC,
        commentary_budget=BUDGET_COMMENTARY,
    )
    return project


@pytest.fixture
def cost_exception(world):
    """An open cost tolerance exception of ALPHA-1 with the figures ``budget_check`` stores when it raises one."""
    figures = {
        "tolerance": "±10% of BAC",
        "actual": "+20.0%",
        "as_of": "2025-06-30",
        "bac": "100000.00",
        "eac": "120000.00",
        "eac_method": "CPI",
        "vac": "-20000.00",
        "ac": "60000.00",
        "ev": "50000.00",
        "pv": "55000.00",
        "cpi": "0.83",
        "spi": "0.91",
        "currency": "GBP",
        "forecast_finish": None,
        "baseline_finish": None,
    }
    return ToleranceException.objects.create(
        project=world["alpha_project"],
        kind="cost",
        summary="Cost tolerance ±10% of BAC broken: forecast +20.0%",
        figures=figures,
        raised_at=dt.datetime(2025, 6, 30, 11, 0, tzinfo=dt.UTC),
    )
