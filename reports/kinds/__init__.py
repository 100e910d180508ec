"""The registry of report kinds: one module per kind, each declaring a :class:`~reports.kinds.base.ReportKindSpec`.

``KINDS`` maps every ``apm.reporting.ReportKind`` value to its spec, in the
enum's order. Adding a kind: its value in ``ReportKind``, its module here
(imported below) and its print template.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from apm.reporting import ReportKind
from reports.kinds import exception, highlight, portfolio, quality
from reports.kinds.base import ReportKindSpec, UnknownReportKind

__all__ = ["KINDS", "ReportKindSpec", "UnknownReportKind", "kind_choices", "kind_for", "requestable_kinds"]

_SPECS = {spec.value: spec for spec in (highlight.SPEC, portfolio.SPEC, exception.SPEC, quality.SPEC)}

if set(_SPECS) != set(ReportKind.values):
    raise ImproperlyConfigured(
        f"Report kinds without a module in reports/kinds/: {sorted(set(ReportKind.values) - set(_SPECS))}; "
        f"modules of no ReportKind value: {sorted(set(_SPECS) - set(ReportKind.values))}."
    )

KINDS: dict[str, ReportKindSpec] = {value: _SPECS[value] for value in ReportKind.values}


def kind_for(value: str) -> ReportKindSpec:
    """The spec of the kind ``value``; :class:`UnknownReportKind` (a ValueError) naming the known ones otherwise."""
    try:
        return KINDS[value]
    except (KeyError, TypeError):
        raise UnknownReportKind(f"Unknown report kind {value!r}; expected one of {', '.join(KINDS)}.") from None


def requestable_kinds() -> list[ReportKindSpec]:
    """The kinds a user may request or schedule (all but those raised by an event, such as exception reports)."""
    return [spec for spec in KINDS.values() if spec.requestable]


def kind_choices(specs: list[ReportKindSpec] | None = None) -> list[tuple[str, str]]:
    """``(value, label)`` choices of ``specs`` (every kind by default)."""
    return [(spec.value, spec.label) for spec in (KINDS.values() if specs is None else specs)]
