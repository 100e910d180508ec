"""Signals of the budget area, so that apps above ``projects`` can react without being imported.

``tolerance_exception_raised`` is sent (inside the transaction that wrote the
row) with ``exception=`` a new open :class:`projects.models.ToleranceException`.
The reports app listens and queues the exception report PDF.
"""

from __future__ import annotations

from django.dispatch import Signal

tolerance_exception_raised = Signal()
