"""The chunk cache: a laid-out part of a report kept under a key that covers everything its pages depend on.

:func:`chunk_key` is the SHA-256 of the canonical JSON (sorted keys, no
spaces) of:

* the report's kind and audience, and the title the chunk carries (the first
  chunk's only: ``reports.rendering.plan_report_chunks``);
* its sections' snapshot slice (``reports.sections.section_json``: templates,
  contexts, page breaks, anchors), already redacted for the audience and free
  of period-relative values (``reports.sections``);
* the SHA-256 of every file under ``templates/reports/pdf/``, of the print
  stylesheet (``static/css/print.css``), whichever the chunk uses, and of
  our Python modules that shape a layout (the print filters, the formatting
  of money and dates, the charts, the sections, the chunk layout);
* the fonts fontconfig offers (each file's path, size and modification time:
  a font installed, removed or upgraded changes it);
* the versions of WeasyPrint, pydyf, tinycss2, cssselect2, fontTools and
  Pango, and :data:`RENDERER_VERSION` (raised when our own layout code
  changes: ``apm.pdf.html_to_chunk``);
* the render options: the PDF variant, the no-furniture stylesheet, the
  static URL the documents link.

So the chunk renderer (``reports.rendering.lay_out_chunk``) gets nothing the
key does not cover, and two audiences never share an entry. The page
furniture of a merged report is kept the same way (:func:`layout_key`): the
running header and footer under their strings, "Page X of Y" under the
numbers alone (every report of the same length shares them).

Entries are :class:`~reports.models.RenderedChunk` rows (the database every
worker on every machine reads): written in one INSERT (a reader sees a whole
entry or none), the PDF's SHA-256 checked on every read (a corrupt entry is
deleted and counts as a miss: it costs only time), ``used_at`` refreshed on
a hit, and pruned by :func:`cache_prune` to ``settings.APM_REPORT_CHUNK_CACHE_MB``
(least recently used first; the parts of reports being rendered are kept: an
entry pruned all the same, say between the planning and the sweep, is laid
out again by the assembly, at the cost of time).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apm.pdf import NO_FURNITURE_CSS, PDF_VARIANT, PRINT_CSS_PATH, Chunk

logger = logging.getLogger(__name__)

#: Raised whenever the layout of a chunk changes in our own code (not in a template, a stylesheet or a library).
RENDERER_VERSION = "2"


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=64)
def _files_digest_at(stamp: tuple[tuple[str, int, int], ...]) -> str:
    """The digest of the files of ``stamp`` (path, size, mtime): recomputed only when one of them changes."""
    return hashlib.sha256(
        json.dumps([(path, _sha256_file(Path(path))) for path, _size, _mtime in stamp]).encode()
    ).hexdigest()


def _layout_files() -> list[Path]:
    """The files a chunk's layout depends on: the print templates, the print stylesheet, and the Python modules
    that turn a slice into HTML and HTML into a chunk."""
    from django.contrib.staticfiles import finders

    templates = Path(settings.BASE_DIR) / "templates" / "reports" / "pdf"
    files = sorted(path for path in templates.rglob("*") if path.is_file())
    css = finders.find(PRINT_CSS_PATH)
    if css:
        files.append(Path(css))
    base = Path(settings.BASE_DIR)
    code = ["reports/rendering.py", "reports/sections.py", "apm/pdf.py", "apm/formatting.py", "apm/dates.py"]
    code += ["apm/templatetags/apm_format.py"]
    files += [base / name for name in code if (base / name).is_file()]
    files += sorted((base / "apm" / "charts").glob("*.py"))
    return files


def files_digest() -> str:
    """SHA-256 over the SHA-256 of every template and stylesheet file a chunk's layout uses."""
    stamp = []
    for path in _layout_files():
        status = path.stat()
        stamp.append((str(path), status.st_size, status.st_mtime_ns))
    return _files_digest_at(tuple(stamp))


@functools.lru_cache(maxsize=1)
def environment_digest() -> str:
    """SHA-256 over the libraries' versions and the fonts fontconfig offers (once per process: a worker is
    restarted when either changes)."""
    import cssselect2
    import fontTools
    import pydyf
    import tinycss2
    import weasyprint
    from weasyprint.text.ffi import pango

    fc_list = shutil.which("fc-list")
    listed: list[str] = []
    if fc_list:
        try:
            listed = subprocess.run(  # noqa: S603 (fontconfig's own tool, fixed arguments, no shell)
                [fc_list, "--format", "%{file}\n"], capture_output=True, text=True, timeout=30, check=False
            ).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            listed = []
    fonts = []
    for name in sorted(set(filter(None, listed))):
        try:
            status = Path(name).stat()
        except OSError:
            continue
        fonts.append((name, status.st_size, status.st_mtime_ns))
    versions = {
        "weasyprint": weasyprint.__version__,
        "pydyf": pydyf.__version__,
        "tinycss2": tinycss2.__version__,
        "cssselect2": cssselect2.__version__,
        "fonttools": fontTools.version,
        "pango": pango.pango_version(),
        "renderer": RENDERER_VERSION,
    }
    return hashlib.sha256(json.dumps([versions, fonts], sort_keys=True).encode()).hexdigest()


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: sorted keys, no spaces, non-ASCII kept (UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def layout_key(payload: Mapping[str, Any], *, files: str | None = None) -> str:
    """The cache key of a layout described by ``payload`` (plain JSON), with the files, the environment and the
    render options it depends on besides (see the module's docstring). ``files``: :func:`files_digest`, when
    the caller has it (keying a report's parts, it takes it once)."""
    return hashlib.sha256(
        canonical_json(
            {
                **payload,
                "files": files or files_digest(),
                "environment": environment_digest(),
                "options": {
                    "pdf_variant": PDF_VARIANT,
                    "no_furniture_css": NO_FURNITURE_CSS,
                    "static_url": settings.STATIC_URL,
                },
            }
        )
    ).hexdigest()


def chunk_key(
    kind: str, audience: str, title: str, sections: Sequence[Mapping[str, Any]], *, files: str | None = None
) -> str:
    """The cache key of a chunk's layout (see the module's docstring); ``files`` as :func:`layout_key` takes it."""
    return layout_key({"kind": kind, "audience": audience, "title": title, "sections": list(sections)}, files=files)


def cache_get(key: str) -> Chunk | None:
    """The chunk stored under ``key``, or None (never stored, pruned, or corrupt: then deleted)."""
    return cache_get_many([key]).get(key)


def cache_get_many(keys: Sequence[str]) -> dict[str, Chunk]:
    """The chunks stored under ``keys``, in one query (a report's assembly takes all its parts at once): key ->
    chunk, for those stored and sound (a corrupt entry is deleted and left out)."""
    from reports.models import RenderedChunk

    found: dict[str, Chunk] = {}
    touched, corrupt = [], []
    stale = timezone.now() - dt.timedelta(minutes=1)
    for start in range(0, len(keys), 500):
        for entry in RenderedChunk.objects.filter(key__in=keys[start : start + 500]):
            pdf = bytes(entry.pdf)
            if (
                hashlib.sha256(pdf).hexdigest() != entry.sha256
                or len(pdf) != entry.size
                or not pdf.startswith(b"%PDF-")
            ):
                logger.warning("Chunk cache entry %s is corrupt; it is dropped and laid out again", entry.key[:12])
                corrupt.append(entry.pk)
                continue
            if entry.used_at < stale:
                touched.append(entry.pk)
            found[entry.key] = Chunk(
                pdf=pdf, pages=entry.pages, anchors=dict(entry.anchors), bookmarks=list(entry.bookmarks)
            )
    if corrupt:
        RenderedChunk.objects.filter(pk__in=corrupt).delete()
    if touched:
        RenderedChunk.objects.filter(pk__in=touched).update(used_at=timezone.now())
    return found


def cache_put(key: str, chunk: Chunk) -> None:
    """Store ``chunk`` under ``key`` in one INSERT; a concurrent writer of the same key wins (same layout)."""
    from reports.models import RenderedChunk

    try:
        with transaction.atomic():
            RenderedChunk.objects.create(
                key=key,
                pdf=chunk.pdf,
                sha256=hashlib.sha256(chunk.pdf).hexdigest(),
                size=len(chunk.pdf),
                pages=chunk.pages,
                anchors=chunk.anchors,
                bookmarks=chunk.bookmarks,
                used_at=timezone.now(),
            )
    except IntegrityError:
        pass


def cache_prune(*, keep: Iterable[str] = (), max_bytes: int | None = None) -> int:
    """Delete the least recently used entries until the cache holds at most ``max_bytes`` (default
    ``settings.APM_REPORT_CHUNK_CACHE_MB``), never one of ``keep``; returns how many were deleted."""
    from reports.models import RenderedChunk

    limit = settings.APM_REPORT_CHUNK_CACHE_MB * 2**20 if max_bytes is None else max_bytes
    kept = set(keep)
    entries = list(RenderedChunk.objects.order_by("-used_at", "-pk").values_list("pk", "key", "size"))
    # The entries kept take their room first: the cache holds at most the limit with them in it.
    total = sum(size for _pk, key, size in entries if key in kept)
    doomed = []
    for pk, key, size in entries:
        if key in kept:
            continue
        total += size
        if total > limit:
            doomed.append(pk)
    for start in range(0, len(doomed), 500):
        RenderedChunk.objects.filter(pk__in=doomed[start : start + 500]).delete()
    return len(doomed)
