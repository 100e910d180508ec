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
  are refused.

Everything else (``file://``, ``http(s)://``, ``ftp://``, relative paths that
resolve outside static) raises :class:`URLRefused`. WeasyPrint catches the
error, logs a warning and renders without the resource, so a hostile
``<img>`` in user text costs a missing image, never a request.

The HTML is parsed with ``base_url`` set to :data:`REPORT_BASE_URL`, an origin
in the reserved ``.invalid`` top-level domain that no resolver answers, so
``/static/css/print.css`` becomes ``https://apm.invalid/static/css/print.css``
and is served from disk without any network access.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

if TYPE_CHECKING:
    from weasyprint.document import Document

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; a worker rendering reports all day needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

#: Base URL the report HTML is parsed against; never resolvable (RFC 2606 ``.invalid``).
REPORT_BASE_URL = "https://apm.invalid/"


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
    found = finders.find(str(pure))
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


def html_to_pdf_document(html: str) -> Document:
    """Lay out report ``html`` (a complete document) and return WeasyPrint's ``Document``.

    Same fetcher and rules as :func:`html_to_pdf`; call ``write_pdf()`` on it
    for the bytes. The print stylesheet link is served from a parsed copy
    kept per thread (same rules, same result: the text and pages are those
    of a plain render, see tests/reports/test_pdf.py).
    """
    fetcher = StaticOnlyURLFetcher()
    options: dict[str, Any] = {}
    parsed = _parsed_print_css()
    link = _print_css_link()
    if parsed is not None and link.search(html):
        html = link.sub("", html, count=1)
        options = {"stylesheets": [parsed[0]], "font_config": parsed[1]}
    return HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher, media_type="print").render(**options)


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """Render report ``html`` (a complete document) to ``(pdf_bytes, page_count)``.

    Resources are fetched only through :class:`StaticOnlyURLFetcher`; refused
    ones are left out of the PDF (a warning is logged). Raises whatever
    WeasyPrint raises for a document it cannot lay out.
    """
    document = html_to_pdf_document(html)
    pdf = document.write_pdf()
    return pdf, len(document.pages)


def html_to_pdf_plain(html: str) -> tuple[bytes, int]:
    """Plain WeasyPrint (a new font configuration, print.css fetched and parsed for this render).

    The reference :func:`html_to_pdf` is measured and tested against: same pages, same text.
    """
    fetcher = StaticOnlyURLFetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher, media_type="print").render()
    return document.write_pdf(), len(document.pages)
