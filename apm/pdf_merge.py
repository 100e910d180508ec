"""Merge the chunks of a report laid out apart into one tagged PDF, and stamp its page furniture.

:func:`merge_tagged` takes the chunks (:class:`apm.pdf.Chunk`, in page order)
and the furniture (:func:`apm.pdf.render_static_furniture`, :func:`apm.pdf.page_number_kit`) and writes one
PDF/UA-1 document that reads as if laid out in one pass:

* the pages in order; chunk 0's catalogue (``/Lang``, ``/MarkInfo``,
  ``/ViewerPreferences``), document information (``/Title``, ``/Author``)
  and XMP metadata are the document's;
* one structure tree: every chunk's Document element's kids re-parented
  (``/P``) under chunk 0's Document element, each page's ``/StructParents``
  its index in the whole document, one ``/ParentTree`` (a balanced number
  tree: the pages, then every annotation's ``/StructParent``) and
  ``/ParentTreeNextKey``; one ``/IDTree`` of every chunk's (each chunk's
  element IDs begin with a prefix of its own: :func:`apm.pdf.finish_tags`);
* one ``/Names /Dests`` tree: every named destination pointing at its page in
  the merged document. The contents chunk (``contents``) points its links at
  placeholders of its own; the real headings' destinations win;
* the outline from every chunk's bookmarks (:func:`apm.pdf.outline_tree`,
  WeasyPrint's own algorithm), so it is the single pass's;
* the running header (one page, the same form XObject on every page) and
  the footer (a form of its own on each page: the number kit's template
  with its audience line, and "Page X of Y" as one run of the kit's glyphs
  moved to end where print.css ends it), inside ``/Artifact << /Type
  /Pagination >>`` (a pagination artifact, outside the structure tree).
  Nothing is decompressed.

``apart=True`` merges in a process of its own (``python -m apm.pdf_merge``:
pikepdf, no WeasyPrint, Django never set up; 40 MB and a fifth of a second
to start): qpdf holds every copied object
(about 2 KB each with its bookkeeping, 70,000 for a report of 5,000 projects:
a merge process peaks at 205 MB), and a worker that has laid out parts all day
has no room for that on top of its own heap; a process that ends gives it all
back at once.

pikepdf's own ``Pdf.pages.extend`` migrates only the destinations the copied
pages reference and renames clashes (``name.1``), so destinations, outline
and structure tree are rebuilt here by hand. qpdf copies foreign objects per
source, so a chunk's structure elements copied after its pages point their
``/Pg`` at the copied pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import json
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from apm.pdf_parts import PAGE_WORDS, Chunk, NumberKit

__all__ = ["merge_tagged"]

logger = logging.getLogger(__name__)
BASE_DIR = Path(__file__).resolve().parent.parent


@dataclasses.dataclass
class _Job:
    """What :func:`_merge` takes beside the files of its folder (``chunk-<n>.pdf``, ``running.pdf``,
    ``numbers.pdf``)."""

    pages: list[int]
    contents: int | None
    static: bool
    numbers: NumberKit | None
    audience: str
    outline: list[Any]


def merge_tagged(
    chunks: Sequence[Chunk],
    *,
    outline: Sequence[Any],
    contents: int | None = None,
    static: bytes | None = None,
    numbers: NumberKit | None = None,
    audience: str = "",
    apart: bool = False,
    timeout: float | None = None,
) -> bytes:
    """One tagged PDF of ``chunks`` (in page order) with ``static`` (one page, on every page) stamped on it,
    the footer (``audience``'s line, "Page X of Y") put together from ``numbers`` on each page, and
    ``outline`` (:func:`apm.pdf.outline_tree` of the chunks) as its bookmarks.

    ``contents``: the index in ``chunks`` of the contents, whose named destinations (placeholders of its own
    links) yield to every other chunk's. ``apart``: merged in a process of its own, given ``timeout``
    seconds (RuntimeError when it fails, with what it said).
    """
    if not chunks:
        raise ValueError("Nothing to merge.")
    _remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX) as name:
        folder = Path(name)
        for index, chunk in enumerate(chunks):
            (folder / f"chunk-{index}.pdf").write_bytes(chunk.pdf)
        if static is not None:
            (folder / "running.pdf").write_bytes(static)
        if numbers is not None:
            (folder / "numbers.pdf").write_bytes(numbers.pdf)
        job = _Job(
            pages=[chunk.pages for chunk in chunks],
            contents=contents,
            static=static is not None,
            numbers=dataclasses.replace(numbers, pdf=b"") if numbers is not None else None,
            audience=audience,
            outline=list(outline),
        )
        if apart:
            _merge_apart(job, folder, timeout)
        else:
            _merge(job, folder)
        return (folder / "merged.pdf").read_bytes()


#: The temporary folders of merges (``tempfile``'s folder); one older than :data:`STALE_AFTER_SECONDS` was
#: left by a process killed outright (a task's hard time limit, the OOM killer) and is removed by the next merge.
FOLDER_PREFIX = "apm-merge-"
STALE_AFTER_SECONDS = 3600


def _remove_stale_folders() -> None:
    before = time.time() - STALE_AFTER_SECONDS
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < before:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _merge_apart(job: _Job, folder: Path, timeout: float | None) -> None:
    """:func:`_merge` in a new interpreter (``python -m apm.pdf_merge <folder> <this process's id>``), which
    writes ``merged.pdf`` and prints its peak memory. It is killed when anything interrupts the wait (the
    task's soft time limit: ``subprocess.run`` kills its child on any exception), and it kills itself when
    this process dies (:func:`main`)."""
    (folder / "job.pickle").write_bytes(pickle.dumps(job))
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 (this interpreter, this module, our own folder)
            [sys.executable, "-m", "apm.pdf_merge", str(folder), str(os.getpid())],
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"The merge of {len(job.pages)} parts took more than {timeout:.0f} s.") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-1500:]
        how = (
            f"was killed by {signal.Signals(-done.returncode).name}"
            if done.returncode < 0 and -done.returncode in signal.valid_signals()
            else f"failed ({done.returncode})"
        )
        raise RuntimeError(f"The merge process of {len(job.pages)} parts {how}: {said or 'it said nothing'}")
    try:
        peak: object = json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_mb"]
    except (IndexError, KeyError, TypeError, ValueError):
        peak = "unknown"
    logger.info(
        "Merged %s parts (%s pages) in a process of its own: %.2f s, peak memory %s MB",
        len(job.pages),
        sum(job.pages),
        time.perf_counter() - started,
        peak,
    )


def _open(folder: Path, name: str) -> pikepdf.Pdf:
    """``name``.pdf of ``folder``, memory-mapped (qpdf reads it in place)."""
    return pikepdf.open(folder / f"{name}.pdf", access_mode=pikepdf.AccessMode.mmap)


def _merge(job: _Job, folder: Path) -> None:
    """:func:`merge_tagged` of ``job`` into ``merged.pdf``, one chunk at a time: each chunk is opened, copied,
    its streams' data taken over (qpdf would otherwise read them from the chunk when the merged file is
    written) and closed before the next, so the chunks' parsed objects never pile up: what stays is the
    merged document's own objects (5,000 projects, 757 pages in 135 parts: about 165 MB)."""
    out = _open(folder, "chunk-0")
    kit = _open(folder, "numbers") if job.numbers is not None else None
    repeated = _open(folder, "running") if job.static else None
    contents = job.contents
    try:
        root = out.Root.StructTreeRoot
        document = _document_element(root)
        parents: list[tuple[int, Any]] = []
        annotations: list[tuple[Any, Any]] = []
        _take_parent_tree(root, job.pages[0], 0, list(out.pages), parents, annotations)
        named: dict[str, Any] = {}
        _take_ids(root, lambda element: element, named)
        dests: dict[str, tuple[int, int, list[Any]]] = {}
        _collect_dests(out, 0, 0, contents, dests)
        start = job.pages[0]
        for index, page_count in enumerate(job.pages[1:], start=1):
            source = _open(folder, f"chunk-{index}")
            try:
                first_new = len(out.pages)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # pikepdf's partial migration of destinations: rebuilt below
                    out.pages.extend(source.pages)
                copied = out.copy_foreign(_document_element(source.Root.StructTreeRoot))
                pages = list(out.pages)[first_new : first_new + page_count]
                for offset, page in enumerate(pages):
                    page.obj.StructParents = start + offset
                _take_parent_tree(copied.P, page_count, start, pages, parents, annotations)
                _take_ids(source.Root.StructTreeRoot, out.copy_foreign, named)
                for kid in _kids(copied):
                    kid.P = document
                    document.K.append(kid)
                _collect_dests(source, index, start, contents, dests)
                _own_streams(pages)
            finally:
                source.close()
            start += page_count
        total = start
        tree = pikepdf.NumberTree.new(out)
        for key, value in parents:
            tree[key] = value
        for number, (annotation, element) in enumerate(annotations):
            annotation.StructParent = total + number
            tree[total + number] = element
        root.ParentTree = tree.obj
        root.ParentTreeNextKey = total + len(annotations)
        if named:
            ids = pikepdf.NameTree.new(out)
            for name in sorted(named):
                ids[name] = named[name]
            root.IDTree = ids.obj
        _write_dests(out, dests)
        _write_outline(out, job.outline)
        _stamp(out, repeated, kit, (job.numbers, job.audience) if job.numbers is not None else None)
        out.save(folder / "merged.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for opened in (out, kit, repeated):
            if opened is not None:
                opened.close()


#: Keys never followed when looking for a page's streams: they lead up or across (the page tree, the structure
#: tree, other pages), not into what the page draws.
_UPWARD = frozenset({"/Parent", "/P", "/Dest", "/D", "/StructParent", "/StructParents", "/Pg"})


def _own_streams(pages: Sequence[pikepdf.Page]) -> None:
    """Give every stream a copied page draws with (contents, fonts, images, forms) its data in the merged file
    itself, read now from the chunk it was copied from, still encoded (nothing is decompressed)."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [page.obj for page in pages]
    while stack:
        node = stack.pop()
        if isinstance(node, (pikepdf.Stream, Dictionary)):
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            items = [value for key, value in node.items() if key not in _UPWARD]
            if isinstance(node, pikepdf.Stream):
                encoding: Any = {"filter": node.get("/Filter"), "decode_parms": node.get("/DecodeParms")}
                node.write(node.read_raw_bytes(), **encoding)
            stack.extend(items)
        elif isinstance(node, Array):
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            stack.extend(node)


def _document_element(struct_tree_root: Any) -> Any:
    kids = struct_tree_root.K
    return kids[0] if isinstance(kids, Array) else kids


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _take_parent_tree(
    struct_tree_root: Any,
    page_count: int,
    start: int,
    pages: Sequence[pikepdf.Page],
    parents: list[tuple[int, Any]],
    annotations: list[tuple[Any, Any]],
) -> None:
    """Add a chunk's page entries to ``parents`` (keys moved by ``start``) and its annotations with their
    elements to ``annotations`` (numbered after every page, by the caller)."""
    entries = {int(key): value for key, value in pikepdf.NumberTree(struct_tree_root.ParentTree).items()}
    for key in range(page_count):
        if key in entries:
            parents.append((start + key, entries[key]))
    for page in pages:
        for annotation in page.obj.get("/Annots", Array()):
            if "/StructParent" in annotation:
                annotations.append((annotation, entries[int(annotation.StructParent)]))


def _take_ids(struct_tree_root: Any, local: Callable[[Any], Any], named: dict[str, Any]) -> None:
    """Add a chunk's ``/IDTree`` entries to ``named``, each element as ``local`` gives it in the merged file
    (qpdf gives an object copied before as that copy). RuntimeError when two chunks name one ID."""
    if "/IDTree" not in struct_tree_root:
        return
    for name, element in pikepdf.NameTree(struct_tree_root.IDTree).items():
        if name in named:
            raise RuntimeError(f"Two parts of the report name the element ID {name!r}.")
        named[name] = local(element)


def _collect_dests(
    source: pikepdf.Pdf, index: int, start: int, contents: int | None, found: dict[str, tuple[int, int, list[Any]]]
) -> None:
    """Add chunk ``index``'s named destinations (its pages from ``start`` in the merged document) to ``found``:
    name -> (chunk, merged page, the destination's view after its page). The contents chunk's (placeholders of
    its own links) yield to every other chunk's."""
    names = source.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return
    local = {page.obj.objgen: number for number, page in enumerate(source.pages)}
    for name, destination in pikepdf.NameTree(names.Dests).items():
        if name in found and (index == contents or found[name][0] != contents):
            continue
        found[name] = (index, start + local[destination[0].objgen], [_plain(value) for value in list(destination)[1:]])


def _plain(value: Any) -> Any:
    """A destination's view parameter (a name or a number) as a value that outlives its file."""
    if isinstance(value, Name):
        return Name(str(value))
    if isinstance(value, pikepdf.Object):
        return float(value) if value.is_number else None
    return value


def _write_dests(out: pikepdf.Pdf, found: dict[str, tuple[int, int, list[Any]]]) -> None:
    """One ``/Names /Dests`` tree of every chunk's named destinations, each pointing at its merged page."""
    tree = pikepdf.NameTree.new(out)
    for name in sorted(found):
        _index, page, view = found[name]
        tree[name] = Array([out.pages[page].obj, *view])
    if "/Names" not in out.Root:
        out.Root.Names = Dictionary()
    out.Root.Names.Dests = tree.obj


def _write_outline(out: pikepdf.Pdf, outline: Sequence[Any]) -> None:
    """The outline of the whole document: ``outline`` (:func:`apm.pdf.outline_tree`), each item's page an
    index in ``out``."""

    def items(subtrees: Sequence[Any]) -> list[pikepdf.OutlineItem]:
        made = []
        for label, (page_number, x, y), children, state in subtrees:
            item = pikepdf.OutlineItem(label, Array([out.pages[page_number].obj, Name.XYZ, x, y, 0]))
            item.children.extend(items(children))
            item.is_closed = state == "closed"
            made.append(item)
        return made

    with out.open_outline() as opened:
        opened.root.clear()
        opened.root.extend(items(outline))


def _stamp(
    out: pikepdf.Pdf, static: pikepdf.Pdf | None, kit: pikepdf.Pdf | None, footer: tuple[NumberKit, str] | None
) -> None:
    """Draw ``static``'s page (when given) on every page of ``out``, and the footer (the audience line, "Page X
    of Y") from ``footer``'s kit (``kit``, its PDF opened), as a pagination artifact."""
    running = out.copy_foreign(static.pages[0].as_form_xobject()) if static is not None else None
    number_form = out.copy_foreign(kit.pages[0].as_form_xobject()) if kit is not None else None
    shared = out.make_indirect(number_form.Resources) if number_form is not None else None
    push = out.make_stream(b"q\n")
    total = len(out.pages)
    for number, page in enumerate(out.pages, start=1):
        own = page.obj.get("/Resources", Dictionary())
        resources = Dictionary(dict(own.items()))
        xobjects = Dictionary(dict(own.get("/XObject", Dictionary()).items()))
        drawn = [b"\nQ q /Artifact <</Type /Pagination>> BDC"]
        if running is not None:
            xobjects.APMRunning = running
            drawn.append(b" /APMRunning Do")
        if footer is not None and number_form is not None:
            numbers, audience = footer
            xobjects.APMFooter = out.make_stream(
                numbers.content(audience, f"{PAGE_WORDS[0]}{number}{PAGE_WORDS[1]}{total}"),
                Type=Name.XObject,
                Subtype=Name.Form,
                BBox=number_form.BBox,
                Resources=shared,
            )
            drawn.append(b" /APMFooter Do")
        drawn.append(b" EMC Q\n")
        resources.XObject = xobjects
        page.obj.Resources = resources
        contents = page.obj.Contents
        parts = list(contents) if isinstance(contents, Array) else [contents]
        page.obj.Contents = Array([push, *parts, out.make_stream(b"".join(drawn))])


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _die_with(parent: int) -> None:
    """Be killed when process ``parent`` dies (Linux's ``PR_SET_PDEATHSIG``); exit now if it already has."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        sys.exit("The process that asked for this merge is gone.")


def main(argv: Sequence[str]) -> int:
    """``python -m apm.pdf_merge <folder> [<parent's process id>]``: the job of ``folder`` merged into its
    ``merged.pdf``; prints ``{"peak_rss_mb": …}``."""
    if len(argv) > 2:
        _die_with(int(argv[2]))
    folder = Path(argv[1])
    job = pickle.loads((folder / "job.pickle").read_bytes())  # noqa: S301 (our own parent's, see above)
    _merge(job, folder)
    sys.stdout.write(json.dumps({"peak_rss_mb": _peak_rss_mb()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
