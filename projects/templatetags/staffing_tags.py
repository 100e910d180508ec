"""Template filters of staffing: the capacity heatmap's week cells, ``{{ row.cells|heat_cells }}``."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from projects.staffing.selectors import HeatCell

register = template.Library()

_TENTATIVE_OVER = '<span class="visually-hidden">, tentative over-booking</span>'


def _heat_cell(cell: HeatCell) -> str:
    tentative = f'<span class="tentative">{escape(cell.tentative_text)}</span>' if cell.tentative_text else ""
    return (
        f'<td class="cell {escape(cell.css_class)}" title="{escape(cell.title)}">{escape(cell.text)}'
        f"{tentative}{_TENTATIVE_OVER if cell.tentative_over else ''}</td>"
    )


@register.filter(name="heat_cells")
def heat_cells(cells: list[HeatCell]) -> SafeString:
    """A ``<td>`` per week of a heatmap row: the utilisation, tentative share and hours in its title.

    Built here, not by a template loop: a page of 50 people by 12 weeks is 600 cells, and the loop's
    tags and lookups, several a cell, were a third of the page's time.
    """
    return mark_safe("".join(_heat_cell(cell) for cell in cells))  # noqa: S308 - every value is escaped
