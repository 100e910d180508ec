"""What a report laid out in parts is merged from: the parts (:class:`Chunk`) and the footer's kit
(:class:`NumberKit`): plain data, this module imports nothing of Django or WeasyPrint, so that a process of
its own can merge them (:mod:`apm.pdf_merge`, which imports neither WeasyPrint nor a set-up Django).
:mod:`apm.pdf` lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PAGE_WORDS", "Chunk", "FooterTemplate", "NumberKit"]


@dataclass
class Chunk:
    """A part of a report laid out alone, and what merging it needs.

    ``pdf``: tagged PDF/UA-1 bytes without page furniture. ``pages``: its page count. ``anchors``: every
    ``id`` of the HTML to the index (0-based, within the chunk) of the page it is on. ``bookmarks``: per
    page, ``[level, label, [x, y], state]`` of the headings on it, ``x, y`` in PDF points of that page (what
    ``weasyprint.anchors.make_page_bookmark_tree`` takes). All of it plain JSON but the bytes.
    """

    pdf: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)
    bookmarks: list[list[list[Any]]] = field(default_factory=list)


#: The words around the numbers in print.css's "Page X of Y" (its ``@bottom-right`` box).
PAGE_WORDS = ("Page ", " of ")


@dataclass(frozen=True)
class FooterTemplate:
    """One audience's footer as a single pass draws it: the audience line (print.css's ``@bottom-left``)
    and "Page " (``@bottom-right``), as the content stream's operators, one per item; the text matrix
    (``Tm``) and glyphs (``TJ``) of "Page " at ``tm_index`` and ``tj_index``."""

    lines: tuple[bytes, ...]
    tm_index: int
    tj_index: int


@dataclass(frozen=True)
class NumberKit:
    """What a merged report's footer (the audience line, "Page X of Y") is put together from on every page.

    ``pdf``: an untagged PDF laid out with print.css: one page per audience line (that line and "Page "),
    then one per other piece (" of ", each digit) right-aligned in the ``@bottom-right`` box; all in one
    font subset (its resources are page 0's). ``widths``: each piece's advance and ``right``: where the
    box's text ends (CSS pixels from the page's left edge). ``glyphs``: each piece's ``TJ`` array without its
    brackets. ``footers``: each audience line's :class:`FooterTemplate`.
    """

    pdf: bytes
    pieces: tuple[str, ...]
    widths: tuple[float, ...]
    right: float
    glyphs: tuple[bytes, ...]
    footers: dict[str, FooterTemplate]

    def content(self, audience: str, text: str) -> bytes:
        """A content stream of the footer: ``audience`` on the left and ``text`` ("Page 3 of 12") as one run
        of glyphs ending where the box's text ends: what a single pass draws (and text extraction reads)."""
        index = {piece: number for number, piece in enumerate(self.pieces)}
        parts: list[int] = []
        rest = text
        while rest:
            piece = next((p for p in self.pieces if len(p) > 1 and rest.startswith(p)), rest[0])
            if piece not in index:
                raise ValueError(f"No piece for {piece!r} in {text!r}.")
            parts.append(index[piece])
            rest = rest[len(piece) :]
        footer = self.footers[audience]
        left = self.right - sum(self.widths[number] for number in parts)
        lines = list(footer.lines)
        tm = lines[footer.tm_index].split()
        lines[footer.tm_index] = b" ".join([*tm[:4], f"{left:.6f}".encode(), *tm[5:]])
        lines[footer.tj_index] = b"[" + b" ".join(self.glyphs[number] for number in parts) + b"] TJ"
        return b"\n".join(lines)
