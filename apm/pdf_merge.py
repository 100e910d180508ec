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
  ``/ParentTreeNextKey``. WeasyPrint names table headers
  ``/ID (<object number>-<row>-<col>)``, unique in one file only: they and the
  cells' ``/Headers`` are prefixed per chunk (``c3-…``) and listed in the
  ``/IDTree`` that elements with an ``/ID`` require;
* one ``/Names /Dests`` tree: every named destination pointing at its page in
  the merged document. The contents chunk (``contents``) points its links at
  placeholders of its own; the real headings' destinations win;
* the outline rebuilt from every chunk's bookmarks with WeasyPrint's own
  algorithm (``weasyprint.anchors.make_page_bookmark_tree``), so it is the
  single pass's;
* the running header (one page, the same form XObject on every page) and
  the footer (a form of its own on each page: the number kit's template
  with its audience line, and "Page X of Y" as one run of the kit's glyphs
  moved to end where print.css ends it), inside ``/Artifact << /Type
  /Pagination >>`` (a pagination artifact, outside the structure tree).
  Nothing is decompressed.

pikepdf's own ``Pdf.pages.extend`` migrates only the destinations the copied
pages reference and renames clashes (``name.1``), so destinations, outline
and structure tree are rebuilt here by hand. qpdf copies foreign objects per
source, so a chunk's structure elements copied after its pages point their
``/Pg`` at the copied pages.
"""

from __future__ import annotations

import io
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from weasyprint.anchors import make_page_bookmark_tree
from weasyprint.matrix import Matrix

from apm.pdf import PAGE_WORDS, Chunk, NumberKit

__all__ = ["merge_tagged"]


def merge_tagged(
    chunks: Sequence[Chunk],
    *,
    contents: int | None = None,
    static: bytes | None = None,
    numbers: NumberKit | None = None,
    audience: str = "",
) -> bytes:
    """One tagged PDF of ``chunks`` (in page order) with ``static`` (one page, on every page) stamped on it,
    and the footer (``audience``'s line, "Page X of Y") put together from ``numbers`` on each page.

    ``contents``: the index in ``chunks`` of the contents, whose named destinations (placeholders of its own
    links) yield to every other chunk's.
    """
    if not chunks:
        raise ValueError("Nothing to merge.")
    with tempfile.TemporaryDirectory(prefix="apm-merge-") as folder:
        return _merge(chunks, contents, static, (numbers, audience) if numbers else None, Path(folder))


def _open(data: bytes, folder: Path, name: str) -> pikepdf.Pdf:
    """``data`` opened from a file of ``folder``, memory-mapped (qpdf then reads it in place)."""
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    return pikepdf.open(path, access_mode=pikepdf.AccessMode.mmap)


def _merge(
    chunks: Sequence[Chunk],
    contents: int | None,
    static: bytes | None,
    footer: tuple[NumberKit, str] | None,
    folder: Path,
) -> bytes:
    """:func:`merge_tagged`, one chunk at a time: each chunk is opened, copied, its streams' data taken over
    (qpdf would otherwise read them from the chunk when the merged file is written) and closed before the
    next, so the chunks' parsed objects never pile up (5,000 projects, 602 pages in 201 chunks: the peak
    675 MB -> 452 MB)."""
    out = _open(chunks[0].pdf, folder, "chunk-0")
    kit = _open(footer[0].pdf, folder, "numbers") if footer is not None else None
    repeated = _open(static, folder, "running") if static is not None else None
    try:
        root = out.Root.StructTreeRoot
        document = _document_element(root)
        parents: list[tuple[int, Any]] = []
        annotations: list[tuple[Any, Any]] = []
        _take_parent_tree(root, chunks[0].pages, 0, list(out.pages), parents, annotations)
        named: list[Any] = []
        _rename_ids(document, "c0-", named)
        dests: dict[str, tuple[int, int, list[Any]]] = {}
        _collect_dests(out, 0, 0, contents, dests)
        start = chunks[0].pages
        for index, chunk in enumerate(chunks[1:], start=1):
            source = _open(chunk.pdf, folder, f"chunk-{index}")
            try:
                first_new = len(out.pages)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # pikepdf's partial migration of destinations: rebuilt below
                    out.pages.extend(source.pages)
                copied = out.copy_foreign(_document_element(source.Root.StructTreeRoot))
                pages = list(out.pages)[first_new : first_new + chunk.pages]
                for offset, page in enumerate(pages):
                    page.obj.StructParents = start + offset
                _take_parent_tree(copied.P, chunk.pages, start, pages, parents, annotations)
                _rename_ids(copied, f"c{index}-", named)
                for kid in _kids(copied):
                    kid.P = document
                    document.K.append(kid)
                _collect_dests(source, index, start, contents, dests)
                _own_streams(pages)
            finally:
                source.close()
            start += chunk.pages
        total = start
        tree = pikepdf.NumberTree.new(out)
        for key, value in parents:
            tree[key] = value
        for number, (annotation, element) in enumerate(annotations):
            annotation.StructParent = total + number
            tree[total + number] = element
        root.ParentTree = tree.obj
        root.ParentTreeNextKey = total + len(annotations)
        ids = pikepdf.NameTree.new(out)
        for element in named:
            ids[str(element.ID)] = element
        root.IDTree = ids.obj
        _write_dests(out, dests)
        _rebuild_outline(out, chunks)
        _stamp(out, repeated, kit, footer)
        buffer = io.BytesIO()
        out.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()
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


def _walk(element: Any) -> Iterator[Any]:
    """Every structure element under ``element`` (dictionaries with ``/S``), depth first."""
    seen: set[tuple[int, int]] = set()
    stack = [element]
    while stack:
        node = stack.pop()
        for kid in _kids(node):
            if isinstance(kid, Dictionary) and "/S" in kid and kid.objgen not in seen:
                seen.add(kid.objgen)
                yield kid
                stack.append(kid)


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


def _rename_ids(document: Any, prefix: str, named: list[Any]) -> None:
    """Prefix every element's ``/ID`` and every cell's ``/Headers`` (unique in a chunk, not across chunks); add
    the elements with an ``/ID`` to ``named`` (for the ``/IDTree``: no second walk of the whole tree)."""
    for element in _walk(document):
        if "/ID" in element:
            element.ID = String(prefix + str(element.ID))
            named.append(element)
        attributes = element.get("/A")
        for attribute in attributes if isinstance(attributes, Array) else [attributes]:
            if isinstance(attribute, Dictionary) and "/Headers" in attribute:
                attribute.Headers = Array([String(prefix + str(header)) for header in attribute.Headers])


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


def _rebuild_outline(out: pikepdf.Pdf, chunks: Sequence[Chunk]) -> None:
    """The outline of the whole document from every chunk's bookmarks (WeasyPrint's tree algorithm)."""
    pages = [SimpleNamespace(bookmarks=bookmarks) for chunk in chunks for bookmarks in chunk.bookmarks]
    tree: list[Any] = []
    skipped: list[int] = []
    last_by_depth: list[list[Any]] = [tree]
    previous = 0
    identity = Matrix()
    for number, page in enumerate(pages):
        previous = make_page_bookmark_tree(page, skipped, last_by_depth, previous, number, identity)

    def items(subtrees: list[Any]) -> list[pikepdf.OutlineItem]:
        made = []
        for label, (page_number, x, y), children, state in subtrees:
            item = pikepdf.OutlineItem(label, Array([out.pages[page_number].obj, Name.XYZ, x, y, 0]))
            item.children.extend(items(children))
            item.is_closed = state == "closed"
            made.append(item)
        return made

    with out.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(items(tree))


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
