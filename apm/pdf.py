"""The one function that turns HTML into a PDF (reports, letters), and the URL fetcher it uses.

It lives in ``apm`` so that every app may use it (``projects`` renders letters
and must not import ``reports``).

Report HTML must never fetch from the network or the file system except the
app's own static files (DESIGN.md, "Quality bars"). WeasyPrint 70 sends every
external resource (stylesheets, ``@import``, images, ``@font-face`` sources,
attachments) through one ``weasyprint.urls.URLFetcher`` instance; ours,
:class:`StaticOnlyURLFetcher`, serves:

* ``data:`` URLs (decoded in memory by urllib's DataHandler), and
* URLs under ``STATIC_URL`` (``/static/...``), resolved through
  ``django.contrib.staticfiles`` finders to a file inside one of the static
  roots; ``..`` segments, backslashes and anything resolving outside a root
  are refused. A hashed name that ``{% static %}`` gives with the manifest
  storage (``css/print.16d17b0c176d.css``) is first mapped back to its source
  name through the storage's manifest.

Everything else (``file://``, ``http(s)://``, ``ftp://``, relative paths that
resolve outside static) raises :class:`URLRefused`. WeasyPrint catches the
error, logs a warning and renders without the resource, so a hostile
``<img>`` in user text costs a missing image, never a request.

The HTML is parsed with ``base_url`` set to :data:`REPORT_BASE_URL`, an origin
in the reserved ``.invalid`` top-level domain that no resolver answers, so
``/static/css/print.css`` becomes ``https://apm.invalid/static/css/print.css``
and is served from disk without any network access.

Every PDF is written as WeasyPrint's PDF/UA-1 variant (:data:`PDF_VARIANT`,
by :func:`document_to_pdf`): a tagged PDF 1.7 whose structure tree follows the
HTML (``h1``/``h2`` -> H1/H2, ``table``/``tr``/``th``/``td`` ->
Table/TR/TH/TD, ``p`` -> P, ``img`` and inline ``svg`` -> Figure, with the
``alt`` or the svg's own ``<title>`` child as ``/Alt``), ``/MarkInfo
<< /Marked true >>``, ``/ViewerPreferences << /DisplayDocTitle true >>`` (the
``<title>`` is shown, not the file name), ``/Lang`` from ``<html lang>``
(``en-GB``), and an XMP metadata stream with ``dc:title``, ``dc:creator`` and
``pdfuaid:part`` 1. The document information's ``/Author`` is the HTML's
``<meta name="author">`` or else the company (``settings.APM_COMPANY_NAME``,
"APM" when empty). Before the file is written, :func:`finish_tags` folds the
``/Span`` WeasyPrint makes for every run of text into its element (a cell holds
its text itself: half the elements) and lists the table headers' IDs in the
``/IDTree`` PDF/UA asks for.

Merging PDFs rendered separately (the parts of a large report, say) must keep
all of that in the merged file, or it is no longer accessible: one
``/StructTreeRoot`` whose Document element holds each part's elements in page
order, with the ``/ParentTree`` renumbered so that every page's
``/StructParents``, every marked-content id and every annotation's
``/StructParent`` still lead to their element; the catalogue's ``/Lang``,
``/MarkInfo`` and ``/ViewerPreferences``; the ``/Title`` and ``/Author`` of
the whole report and one XMP stream that names the same title and
``pdfuaid:part``. tests/reports/test_tagged_pdf.py states the checks a
merged report must still pass; :mod:`apm.pdf_merge` does that merge.

A large report is laid out in chunks (:func:`html_to_chunk`): each a complete
document of whole sections, laid out without page furniture (the margin boxes
off), with what the merge needs beside its PDF (page count, anchors,
bookmarks). The furniture of the whole report is stamped on the merged
pages: the running header laid out once (:func:`render_static_furniture`, the
same form on every page), and the footer (the audience line, "Page X of Y")
written on each page from a kit laid out once per process
(:func:`page_number_kit`: the audience lines, the words and the digits in
print.css's footer boxes; each page's footer one run of glyphs, right-aligned as print.css
does), so no page count is ever laid out.
"""

from __future__ import annotations

import functools
import gc
import io
import logging
import mimetypes
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

import pikepdf
import pydyf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint import CSS, HTML
from weasyprint.anchors import make_page_bookmark_tree
from weasyprint.formatting_structure.boxes import TextBox
from weasyprint.matrix import Matrix
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from apm.pdf_parts import PAGE_WORDS, Chunk, FooterTemplate, NumberKit

if TYPE_CHECKING:
    from weasyprint.document import Document

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; a worker rendering reports all day needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
# pikepdf (apm.pdf_merge) says at INFO that it is loaded, in every process.
logging.getLogger("pikepdf").setLevel(logging.WARNING)

#: Base URL the report HTML is parsed against; never resolvable (RFC 2606 ``.invalid``).
REPORT_BASE_URL = "https://apm.invalid/"
#: WeasyPrint's variant for every PDF: tagged, PDF/UA-1 metadata (see the module docstring).
PDF_VARIANT = "pdf/ua-1"


class URLRefused(ValueError):
    """The report tried to fetch a URL outside the app's static files."""


def _static_roots() -> list[Path]:
    """Every folder the staticfiles finders serve from (resolved absolute paths)."""
    roots: list[Path] = []
    for finder in finders.get_finders():
        for _prefix, root in getattr(finder, "locations", []):
            roots.append(Path(root).resolve())
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    return roots


def _source_name(name: str) -> str:
    """The source name of a hashed static file name in the manifest (``css/print.16d17b0c176d.css`` ->
    ``css/print.css``); any other name unchanged."""
    hashed_files: dict[str, str] = getattr(staticfiles_storage, "hashed_files", {})
    for source, hashed in hashed_files.items():
        if hashed == name:
            return source
    return name


def static_path_for_url(url: str) -> Path:
    """The file on disk for a static URL of the report, or raise :class:`URLRefused`.

    ``url`` is absolute against :data:`REPORT_BASE_URL` (``https://apm.invalid/static/css/print.css``)
    or a bare ``/static/...`` path. Query strings and fragments are ignored.
    """
    static_prefix = urljoin(REPORT_BASE_URL, settings.STATIC_URL)
    if url.startswith(settings.STATIC_URL) and not url.startswith("//"):
        url = urljoin(REPORT_BASE_URL, url)
    parts = urlsplit(url)
    prefix_parts = urlsplit(static_prefix)
    if (parts.scheme, parts.netloc) != (prefix_parts.scheme, prefix_parts.netloc) or not parts.path.startswith(
        prefix_parts.path
    ):
        raise URLRefused(f"Report resources must be static files; refused {url!r}.")
    relative = unquote(parts.path[len(prefix_parts.path) :])
    pure = PurePosixPath(relative)
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or pure.is_absolute()
        or any(part in ("..", ".") for part in pure.parts)
    ):
        raise URLRefused(f"Refused static path {relative!r}.")
    found = finders.find(_source_name(str(pure)))
    if not found:
        raise URLRefused(f"No static file {relative!r}.")
    path = Path(found).resolve()
    if not path.is_file() or not any(path.is_relative_to(root) for root in _static_roots()):
        raise URLRefused(f"Static file {relative!r} resolves outside the static folders.")
    return path


class StaticOnlyURLFetcher(URLFetcher):
    """A WeasyPrint 70 URL fetcher that serves only ``data:`` URLs and the app's static files.

    ``served`` and ``refused`` list the URLs it answered and refused, in order
    (for logging and tests).
    """

    def __init__(self) -> None:
        # No redirects, no protocols for the parent's own opener beyond data:.
        super().__init__(timeout=5, allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Serve ``url`` from memory (``data:``) or the static folders; raise :class:`URLRefused` otherwise."""
        try:
            if url[:5].lower() == "data:":
                response = super().fetch(url, headers)
            else:
                path = static_path_for_url(url)
                mime_type, _encoding = mimetypes.guess_type(path.name)
                content_type = mime_type or "application/octet-stream"
                if content_type.startswith("text/"):
                    content_type += "; charset=utf-8"
                response = URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        except URLRefused:
            self.refused.append(url)
            logger.warning("Report PDF: refused to fetch %s", url[:200])
            raise
        self.served.append(url)
        return response


#: The print stylesheet link every report template has; the PDF path applies a parsed copy instead.
PRINT_CSS_PATH = "css/print.css"
_per_thread = threading.local()


def _print_css_link() -> re.Pattern[str]:
    href = re.escape(settings.STATIC_URL + PRINT_CSS_PATH)
    return re.compile(rf'<link rel="stylesheet" href="{href}">')


def _parsed_print_css() -> tuple[Any, Any] | None:
    """``(CSS, FontConfiguration)`` for this thread, parsed once per file version (mtime); None when missing.

    Profiling (bench/report_profile.py) showed a fixed cost per render for a
    new font configuration and for fetching and parsing print.css: about a
    quarter of a two-page highlight report. Both are kept per thread (a
    FontConfiguration is not shared across threads) and reused.
    """
    found = finders.find(PRINT_CSS_PATH)
    if not found:
        return None
    path = Path(found)
    key = (str(path), path.stat().st_mtime_ns)
    cached = getattr(_per_thread, "print_css", None)
    if cached is None or cached[0] != key:
        font_config = FontConfiguration()
        css = CSS(
            string=path.read_text("utf-8"),
            base_url=urljoin(REPORT_BASE_URL, settings.STATIC_URL + PRINT_CSS_PATH),
            url_fetcher=StaticOnlyURLFetcher(),
            font_config=font_config,
        )
        cached = (key, css, font_config)
        _per_thread.print_css = cached
    return cached[1], cached[2]


#: How many extra stylesheets a thread keeps parsed (:func:`_extra_stylesheet`), the least recently used
#: dropped first: the one every part has, and the page furniture of the last few reports.
EXTRA_STYLESHEETS_KEPT = 8


def _extra_stylesheet(text: str, font_config: FontConfiguration) -> CSS:
    """``text`` parsed as a stylesheet for ``font_config``: kept per thread (the last few, while the font
    configuration is the same), as print.css is. Every part of a large report applies the same one: parsing
    it, and a font configuration made for nothing beside it, cost 5 ms a part."""
    kept = getattr(_per_thread, "extra_css", None)
    if kept is None or kept[0] is not font_config:
        kept = (font_config, {})
        _per_thread.extra_css = kept
    parsed: dict[str, CSS] = kept[1]
    found = parsed.pop(text, None)  # put back last: the dict's order is the order of use
    if found is None:
        found = CSS(string=text, font_config=font_config)
        if len(parsed) >= EXTRA_STYLESHEETS_KEPT:
            parsed.pop(next(iter(parsed)))
    parsed[text] = found
    return found


def html_to_pdf_document(html: str, *, extra_css: str = "") -> Document:
    """Lay out report ``html`` (a complete document) and return WeasyPrint's ``Document``.

    Same fetcher and rules as :func:`html_to_pdf`; :func:`document_to_pdf`
    writes its bytes. The print stylesheet link is served from a parsed copy
    kept per thread (same rules, same result: the text and pages are those
    of a plain render, see tests/reports/test_pdf.py). ``extra_css`` is applied
    after every other stylesheet.
    """
    _per_thread.layout_garbage = True  # left for collect_layout_garbage, whichever path laid the page out
    fetcher = StaticOnlyURLFetcher()
    options: dict[str, Any] = {}
    parsed = _parsed_print_css()
    link = _print_css_link()
    if parsed is not None and link.search(html):
        html = link.sub("", html, count=1)
        options = {"stylesheets": [parsed[0]], "font_config": parsed[1]}
    if extra_css:
        if "font_config" in options:
            extra = _extra_stylesheet(extra_css, options["font_config"])
        else:  # no print.css: nothing kept for a font configuration made for this layout alone
            options["font_config"] = FontConfiguration()
            extra = CSS(string=extra_css, font_config=options["font_config"])
        options["stylesheets"] = [*options.get("stylesheets", []), extra]
    return HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher, media_type="print").render(**options)


def document_to_pdf(document: Document, *, id_prefix: str = "") -> bytes:
    """The PDF bytes of a laid-out ``document``: tagged PDF/UA-1 with its author and XMP metadata, its structure
    tree finished by :func:`finish_tags` (``id_prefix`` before every element ID).

    The author is the HTML's ``<meta name="author">`` or else the company
    name setting ("APM" when it is empty).
    """
    if not document.metadata.authors:
        document.metadata.authors = [settings.APM_COMPANY_NAME or "APM"]
    return document.write_pdf(pdf_variant=PDF_VARIANT, finisher=functools.partial(finish_tags, id_prefix=id_prefix))


class _Freed(pydyf.Object):
    """An object number given up: written as a free entry of the cross-reference table, never as an object.
    pydyf writes an entry from the object's place in its list: number 0 and generation 65535 (what it writes
    for its own free object 0) make it a free entry in a cross-reference stream as in a table, and it must
    never go into an object stream (that would shift every later object of the stream)."""

    def __init__(self) -> None:
        super().__init__()
        self.number = 0
        self.generation = 65535
        self.free = "f"

    @property
    def compressible(self) -> bool:
        return False


def finish_tags(_document: Document, pdf: pydyf.PDF, *, id_prefix: str = "") -> None:
    """Finish WeasyPrint's structure tree (a ``finisher`` of :meth:`weasyprint.Document.write_pdf`):
    :func:`_fold_text_spans`, then :func:`_list_ids` with ``id_prefix``."""
    root_reference = pdf.catalog.get("StructTreeRoot")
    if root_reference is None:
        return
    _fold_text_spans(pdf, root_reference)
    _list_ids(pdf, root_reference, id_prefix)


def _list_ids(pdf: pydyf.PDF, root_reference: bytes, prefix: str) -> None:
    """Put ``prefix`` before every element ID (WeasyPrint's table headers: ``<object number>-<row>-<col>``,
    unique in one file only; a cell's ``/Headers`` holds the same string objects, so it follows) and list them
    in the ``/IDTree`` that PDF/UA asks for when elements have IDs: a merge of parts laid out apart, each with
    a prefix of its own, takes every part's tree as it is."""
    objects = pdf.objects
    names = []
    for element in objects:
        if isinstance(element, pydyf.Dictionary) and isinstance(element.get("ID"), pydyf.String):
            element["ID"].string = prefix + str(element["ID"].string)
            names.append((element["ID"].string, element.reference))
    if not names:
        return
    tree = pydyf.Dictionary(
        {"Names": pydyf.Array(item for name, reference in sorted(names) for item in (pydyf.String(name), reference))}
    )
    pdf.add_object(tree)
    objects[int(root_reference.split()[0])]["IDTree"] = tree.reference


#: The keys of the element WeasyPrint makes for a run of text, and nothing more.
_PLAIN_SPAN_KEYS = frozenset({"Type", "S", "K", "Pg", "P"})
#: The elements that may hold text themselves (marked content): paragraphs, headings, cells, list labels and
#: bodies, captions, inline elements. Grouping elements (Document, Part, Sect, Div, Table, TR, L, LI) hold
#: elements only, so a run of text directly in one keeps its span.
_HOLDS_TEXT = frozenset(
    {"/P", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/TD", "/TH", "/Lbl", "/LBody", "/Caption", "/Span", "/NonStruct"}
)


def _fold_text_spans(pdf: pydyf.PDF, root_reference: bytes) -> None:
    """Fold the structure element WeasyPrint makes for every run of text (a ``/Span`` whose only kid is the
    run's marked-content id) into its parent: the parent (a cell, a paragraph, a heading, a span of the HTML)
    holds the id itself, the page's ``/ParentTree`` entry names the parent, and the span's object number is
    freed. A reader gets the same text in the same element (the span carried no meaning: no attribute, no
    language, no alternative text); the structure tree loses about half of its elements (a cell of the
    project table was two elements, it is one), and so does the memory that merging a report's parts takes.

    Only a span on the page of its parent (``/Pg``), under an element that may hold text, is folded.
    """
    objects = pdf.objects

    def at(reference: bytes) -> Any:
        return objects[int(reference.split()[0])]

    moved: dict[bytes, bytes] = {}
    for index, element in enumerate(objects):
        if not isinstance(element, pydyf.Dictionary) or element.get("S") != "/Span":
            continue
        kids = element.get("K")
        if not (isinstance(kids, pydyf.Array) and len(kids) == 1 and type(kids[0]) is int and "P" in element):
            continue
        parent = at(element["P"])
        if parent.get("S") not in _HOLDS_TEXT or parent.get("Pg") != element.get("Pg"):
            continue
        if not set(element) <= _PLAIN_SPAN_KEYS:  # an attribute, a language, an alternative: it says something
            continue
        reference = element.reference
        siblings = parent["K"]
        siblings[siblings.index(reference)] = kids[0]
        moved[reference] = parent.reference
        objects[index] = _Freed()
    if not moved:
        return
    numbers = at(at(root_reference)["ParentTree"])["Nums"]
    for position, entry in enumerate(numbers):
        if isinstance(entry, pydyf.Array):
            numbers[position] = pydyf.Array(moved.get(item, item) for item in entry)
        elif isinstance(entry, bytes):
            numbers[position] = moved.get(entry, entry)


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """Render report ``html`` (a complete document) to ``(pdf_bytes, page_count)``, tagged (PDF/UA-1).

    Resources are fetched only through :class:`StaticOnlyURLFetcher`; refused
    ones are left out of the PDF (a warning is logged). Raises whatever
    WeasyPrint raises for a document it cannot lay out.
    """
    document = html_to_pdf_document(html)
    return document_to_pdf(document), len(document.pages)


def html_to_pdf_plain(html: str) -> tuple[bytes, int]:
    """Plain WeasyPrint (a new font configuration, print.css fetched and parsed for this render), tagged alike.

    The reference :func:`html_to_pdf` is measured and tested against: same pages, same text.
    """
    fetcher = StaticOnlyURLFetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher, media_type="print").render()
    return document_to_pdf(document), len(document.pages)


#: PDF points per CSS pixel (WeasyPrint's scale at zoom 1).
PDF_SCALE = 0.75
#: The margin boxes off: a chunk carries no page furniture (it is stamped after the merge).
NO_FURNITURE_CSS = (
    "@page { @top-left { content: none; } @top-right { content: none; }"
    " @bottom-left { content: none; } @bottom-right { content: none; } }"
)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's garbage collector off for a layout (about a tenth of its time), on again after it (it was on).
    The layout's garbage is left for :func:`collect_layout_garbage`."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _per_thread.layout_garbage = True
        if was_enabled:
            gc.enable()


def collect_layout_garbage() -> bool:
    """Collect the garbage once a layout has left some (since the last call): what a worker does between tasks.
    Returns whether it collected. A task that laid nothing out (a part another worker had taken) costs
    nothing: a full collection in a process that has laid reports out takes a tenth of a second (a few
    milliseconds in a worker, which froze what lived after its warm-up: ``reports.tasks``)."""
    if not getattr(_per_thread, "layout_garbage", False):
        return False
    _per_thread.layout_garbage = False
    gc.collect()
    return True


def html_to_chunk(html: str, *, id_prefix: str) -> Chunk:
    """Lay out ``html`` (a complete document of whole sections) as a :class:`Chunk`: no margin boxes, garbage
    collection paused during the layout and the writing; ``id_prefix`` before its element IDs (unique to the
    chunk among a report's, so that the merge takes them as they are: :func:`finish_tags`)."""
    with gc_paused():
        document = html_to_pdf_document(html, extra_css=NO_FURNITURE_CSS)
        anchors: dict[str, int] = {}
        bookmarks: list[list[list[Any]]] = []
        for index, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, index)
            height = page.height * PDF_SCALE
            bookmarks.append(
                [
                    [level, label, [x * PDF_SCALE, height - y * PDF_SCALE], state]
                    for level, label, (x, y), state in page.bookmarks
                ]
            )
        pdf = document_to_pdf(document, id_prefix=id_prefix)
        pages = len(document.pages)
    return Chunk(pdf=pdf, pages=pages, anchors=anchors, bookmarks=bookmarks)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: backslashes, quotes and ``<`` ``>`` escaped (safe inside ``<style>``),
    line breaks as spaces."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace(">", "\\3e ")
    escaped = re.sub(r"[\r\n\f]+", " ", escaped)
    return f'"{escaped}"'


def static_furniture_css(strings: Mapping[str, str]) -> str:
    """print.css's running header with literal strings (``title``, ``date``: what the report's cover sets with
    ``string-set`` in a single pass). The same on every page: laid out once per report
    (:func:`render_static_furniture`)."""
    return (
        f"@page {{ @top-left {{ content: {css_string(strings.get('title', ''))}; }}"
        f" @top-right {{ content: {css_string(strings.get('date', ''))}; }}"
        " @bottom-left { content: none; } @bottom-right { content: none; } }"
        " .furniture-page { break-before: page; height: 1px; }"
    )


def furniture_html(count: int) -> str:
    """A document of ``count`` blank pages in print.css's page box (see :func:`static_furniture_css` and
    :func:`page_number_kit`)."""
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Pages</title>'
        f'<link rel="stylesheet" href="{settings.STATIC_URL}{PRINT_CSS_PATH}"></head>'
        "<body>" + '<div class="furniture-page"></div>' * count + "</body></html>"
    )


def render_static_furniture(strings: Mapping[str, str]) -> bytes:
    """The running header (:func:`static_furniture_css`) as a one-page untagged PDF, drawn on every page of a
    merged report."""
    with gc_paused():
        document = html_to_pdf_document(furniture_html(1), extra_css=static_furniture_css(strings))
        return document.write_pdf()


def _text_boxes(box: Any) -> Iterator[TextBox]:
    if isinstance(box, TextBox):
        yield box
    for child in getattr(box, "children", None) or ():
        yield from _text_boxes(child)


def _operators(operations: list[Any], operator: str) -> list[int]:
    return [number for number, (_operands, op) in enumerate(operations) if str(op) == operator]


def _number_run(operations: list[Any], x: float) -> tuple[int, int]:
    """``(Tm, TJ)`` indexes of the run of glyphs whose text matrix starts at ``x`` (CSS pixels)."""
    for tm in _operators(operations, "Tm"):
        if abs(float(operations[tm][0][4]) - x) < 0.01:
            following = [tj for tj in _operators(operations, "TJ") if tj > tm]
            if following:
                return tm, following[0]
    raise RuntimeError(f"Page numbers: no run of glyphs at x = {x:.3f} in a piece.")


def page_number_kit(audiences: Sequence[str]) -> NumberKit:
    """The :class:`NumberKit` of print.css as it is for the footers of ``audiences`` (lines of text): laid out
    once per thread, version of print.css and audiences (about 0.1 s); then a page's footer is a few hundred
    bytes of content."""
    parsed = _parsed_print_css()
    key = (getattr(_per_thread, "print_css", (None,))[0] if parsed is not None else None, tuple(audiences))
    cached = getattr(_per_thread, "number_kit", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    if not audiences:
        raise ValueError("A number kit needs the audience line of at least one footer.")
    pages = [(audience, PAGE_WORDS[0]) for audience in audiences]
    others = (PAGE_WORDS[1], *"0123456789")
    pages += [("", piece) for piece in others]
    css = (
        "@page { @top-left { content: none; } @top-right { content: none; }"
        " @bottom-left { content: string(audience); } @bottom-right { content: string(piece); white-space: pre; } }"
        " .furniture-page { break-before: page; height: 1px; }"
        + "".join(
            f" .furniture-page:nth-child({number + 1}) {{ string-set: audience {css_string(audience)},"
            f" piece {css_string(piece)}; }}"
            for number, (audience, piece) in enumerate(pages)
        )
    )
    with gc_paused():
        document = html_to_pdf_document(furniture_html(len(pages)), extra_css=css)
        starts, widths, rights = [], [], []
        for page, (_audience, piece) in zip(document.pages, pages, strict=True):
            [box] = [box for box in _text_boxes(page._page_box) if box.text == piece]
            starts.append(box.position_x)
            widths.append(box.width)
            rights.append(box.position_x + box.width)
        if max(rights) - min(rights) > 0.01:
            raise RuntimeError(f"Page numbers: the pieces end at {sorted(set(rights))}, not at one place.")
        pdf = document.write_pdf()
    glyphs: dict[str, bytes] = {}
    footers = {}
    with pikepdf.open(io.BytesIO(pdf)) as laid_out:
        for page, (audience, piece), x in zip(laid_out.pages, pages, starts, strict=True):
            operations = list(pikepdf.parse_content_stream(page))
            tm, tj = _number_run(operations, x)
            glyphs[piece] = pikepdf.unparse_content_stream([operations[tj]]).strip()[1:-4].strip()
            if audience:
                lines = tuple(pikepdf.unparse_content_stream([operation]) for operation in operations)
                footers[audience] = FooterTemplate(lines=lines, tm_index=tm, tj_index=tj)
    pieces = (PAGE_WORDS[0], *others)
    kit = NumberKit(
        pdf=pdf,
        pieces=pieces,
        widths=(widths[0], *widths[len(audiences) :]),  # "Page " (the same after every audience line), the rest
        right=rights[0],
        glyphs=tuple(glyphs[piece] for piece in pieces),
        footers=footers,
    )
    _per_thread.number_kit = (key, kit)
    return kit


def outline_tree(chunks: Sequence[Chunk]) -> list[Any]:
    """The outline of the document that ``chunks`` make in this order, from their pages' bookmarks by
    WeasyPrint's own algorithm (``weasyprint.anchors.make_page_bookmark_tree``): so it is the single pass's.
    Each item ``[label, [page, x, y], children, state]``, ``page`` the index in the whole document: plain
    data for :func:`apm.pdf_merge.merge_tagged`."""
    pages = [SimpleNamespace(bookmarks=bookmarks) for chunk in chunks for bookmarks in chunk.bookmarks]
    tree: list[Any] = []
    skipped: list[int] = []
    last_by_depth: list[list[Any]] = [tree]
    previous = 0
    identity = Matrix()
    for number, page in enumerate(pages):
        previous = make_page_bookmark_tree(page, skipped, last_by_depth, previous, number, identity)

    def plain(subtrees: list[Any]) -> list[Any]:
        return [[label, list(place), plain(children), state] for label, place, children, state in subtrees]

    return plain(tree)
