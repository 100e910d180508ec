"""Spreadsheet exports that cannot run formulae (CSV injection).

Excel, LibreOffice Calc and Google Sheets evaluate a cell whose text starts
with ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage
return can hide such a start (OWASP, "CSV Injection"). A name exported as
``=HYPERLINK("http://evil","x")`` would otherwise become a live link, or
worse, in the spreadsheet of whoever opens the export. :func:`safe_cell`
makes such text inert; :class:`SafeModelResource` applies it to every text
cell of an export (django-import-export), whatever the format. Its own
``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not enough: it only removes a
leading ``=``.
"""

from __future__ import annotations

import numbers
from typing import Any

from import_export import resources
from import_export.fields import Field
from import_export.widgets import NumberWidget

#: What a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as the text of a cell that no spreadsheet runs as a formula.

    Text starting with one of :data:`FORMULA_STARTS` gets a leading ``'``
    (``"-2+3"`` -> ``"'-2+3"``); other text is unchanged. ``None`` is ``""``.
    A number (int, float, Decimal) is written as it is, negative too: ``-12.5``
    is a value, not a formula. Anything else is ``str(value)``, checked as text.
    """
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, numbers.Number):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeModelResource(resources.ModelResource):
    """A ``ModelResource`` whose exported text cells pass through :func:`safe_cell`.

    Every resource an admin exports with derives from it (tests/apm/test_exports.py
    checks them all). Numeric columns (``NumberWidget``) are left as numbers.
    """

    def export_field(self, field: Field, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and not isinstance(field.widget, NumberWidget):
            return safe_cell(value)
        return value
