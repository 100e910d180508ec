"""The skills matrix's level cells: ``{{ row.levels|level_cells }}``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from teams.models import Level

register = template.Library()

_EMPTY = '<td class="text-center"></td>'


def _cell(level: int) -> str:
    return format_html('<td class="text-center"><span class="level level-{}">{}</span></td>', level, level)


#: Each level's cell, built once: a page of 100 people by 25 skills is 2,500 cells, and a template loop
#: with a tag and two variables per cell was most of the page's time.
_CELLS: dict[int, str] = {level: _cell(level) for level in Level.values}


@register.filter(name="level_cells")
def level_cells(levels: list[int | None]) -> SafeString:
    """A ``<td>`` per level of a matrix row: the level as a coloured badge, or empty for none."""
    cells = ((_CELLS.get(level) or _cell(level)) if level else _EMPTY for level in levels)
    return mark_safe("".join(cells))  # noqa: S308 - every cell is built by format_html
