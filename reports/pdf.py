"""The one function that turns report HTML into a PDF, and the URL fetcher it uses.

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
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

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


def html_to_pdf_document(html: str):
    """Lay out report ``html`` (a complete document) and return WeasyPrint's ``Document``.

    Same fetcher and rules as :func:`html_to_pdf`; call ``write_pdf()`` on it for the bytes.
    """
    fetcher = StaticOnlyURLFetcher()
    return HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher, media_type="print").render()


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """Render report ``html`` (a complete document) to ``(pdf_bytes, page_count)``.

    Resources are fetched only through :class:`StaticOnlyURLFetcher`; refused
    ones are left out of the PDF (a warning is logged). Raises whatever
    WeasyPrint raises for a document it cannot lay out.
    """
    fetcher = StaticOnlyURLFetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher, media_type="print").render()
    pdf = document.write_pdf()
    return pdf, len(document.pages)
