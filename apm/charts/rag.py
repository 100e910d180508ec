"""RAG distribution as a server-rendered SVG (no JavaScript, no network): a stacked bar with counts.

Readable in grey: each segment carries its word and count, not only a colour.
"""

from __future__ import annotations

from django.utils.html import escape

#: (key, word, fill, text colour), in the order the bar shows them.
SEGMENTS = (
    ("red", "Red", "#a61b1b", "#ffffff"),
    ("amber", "Amber", "#f2b01e", "#000000"),
    ("green", "Green", "#d7ecd8", "#124d17"),
    ("not_rated", "Not rated", "#ffffff", "#444444"),
)


def rag_distribution_svg(*, counts: dict[str, int], width: int = 480, height: int = 34, title: str = "") -> str:
    """An inline ``<svg>`` of a stacked bar: one segment per RAG with ``word count`` in it.

    ``counts`` maps ``red``, ``amber``, ``green`` and ``not_rated`` to
    non-negative integers (missing keys count 0). ``width`` and ``height`` in
    CSS px. Segments too narrow for their label are labelled in a legend
    line below the bar instead. The accessible name (``aria-label`` and the
    svg's ``<title>``, a PDF figure's ``/Alt``) gives every count in words:
    ``"RAG distribution: 3 red, 5 amber, 4 green, 0 not rated"``. Returns ""
    when every count is 0. Raises ``ValueError`` for a negative count.
    """
    values = [(key, word, fill, ink, int(counts.get(key, 0) or 0)) for key, word, fill, ink in SEGMENTS]
    if any(value < 0 for *_rest, value in values):
        raise ValueError("RAG counts cannot be negative.")
    total = sum(value for *_rest, value in values)
    if total == 0:
        return ""
    bar_height = height - 14
    counted = ", ".join(f"{value} {word.lower()}" for _key, word, _fill, _ink, value in values)
    name = escape(f"{title or 'RAG distribution'}: {counted}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-rag" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{name}"><title>{name}</title>'
    ]
    x = 0.0
    legend = []
    for _key, word, fill, ink, value in values:
        if not value:
            continue
        segment = width * value / total
        parts.append(
            f'<rect x="{x:.2f}" y="0" width="{segment:.2f}" height="{bar_height}" fill="{fill}" '
            f'stroke="#555" stroke-width="0.6"/>'
        )
        label = f"{word} {value}"
        if segment >= 7 * len(label):
            parts.append(
                f'<text x="{x + segment / 2:.2f}" y="{bar_height / 2 + 4:.2f}" text-anchor="middle" '
                f'font-size="10" font-weight="bold" fill="{ink}">{escape(label)}</text>'
            )
        else:
            legend.append(label)
        x += segment
    if legend:
        parts.append(
            f'<text x="0" y="{height - 2}" font-size="8.5" fill="#333">Also: {escape(", ".join(legend))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
