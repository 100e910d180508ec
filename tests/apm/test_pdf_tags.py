"""apm.pdf.finish_tags: the structure tree WeasyPrint writes, finished before the PDF is written.

WeasyPrint gives every run of text a ``/Span`` element of its own; the finisher folds it into its element
(a cell holds its text itself), lists the table headers' IDs in an ``/IDTree`` and puts a prefix before them
when asked. Read back with pikepdf against the same layout written without the finisher.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import pikepdf
import pytest

from apm.pdf import PDF_VARIANT, document_to_pdf, finish_tags, html_to_pdf_document
from tests.pdfs import qpdf_check

HTML = (
    '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Tags</title></head><body>'
    '<h1 id="top">Portfolio</h1><p>Two projects, one <span>needs attention</span>.</p>'
    "<table><thead><tr><th>Code</th><th>Name</th></tr></thead><tbody>"
    "<tr><td>A-1</td><td>Alpha renewal</td></tr><tr><td>B-2</td><td>Beta migration</td></tr>"
    "</tbody></table>"
    '<div class="loose">Text straight in a division.</div>'
    '<p style="break-before: page">A second page, <a href="#top">with a link</a>.</p></body></html>'
)


def _elements(document: pikepdf.Pdf) -> list[Any]:
    found, stack = [], [document.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                stack.append(kid)
    return found


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []


def _marked(document: pikepdf.Pdf) -> list[tuple[int, int, Any]]:
    """Every marked-content id of every page's content: (page, id, the element the ParentTree gives it)."""
    parents = dict(pikepdf.NumberTree(document.Root.StructTreeRoot.ParentTree).items())
    found = []
    for number, page in enumerate(document.pages):
        data = b"".join(part.read_bytes() for part in _kids({"/K": page.obj.Contents}) if part is not None)
        for mcid in map(int, re.findall(rb"/MCID (\d+)", data)):
            found.append((number, mcid, parents[int(page.obj.StructParents)][mcid]))
    return found


@pytest.fixture
def both():
    """The same layout written as WeasyPrint writes it and as apm.pdf does (prefix "c7-")."""
    document = html_to_pdf_document(HTML)
    plain = document.write_pdf(pdf_variant=PDF_VARIANT)
    finished = document_to_pdf(document, id_prefix="c7-")
    with pikepdf.open(io.BytesIO(plain)) as one, pikepdf.open(io.BytesIO(finished)) as other:
        yield one, other, finished


def test_a_cell_holds_its_text_itself_without_a_span_per_run(both):
    plain, finished, _pdf = both
    cells = [element for element in _elements(plain) if element.S == "/TD"]
    assert cells
    assert all([str(kid.S) for kid in _kids(cell)] == ["/Span"] for cell in cells)
    assert all(len(_kids(_kids(cell)[0])) == 1 for cell in cells)
    cells = [element for element in _elements(finished) if element.S == "/TD"]
    assert len(cells) == 4
    assert all(_kids(cell) and all(isinstance(kid, int) for kid in _kids(cell)) for cell in cells)
    # The HTML's own span stays an element (it is one of the document's), holding its text; so does the run
    # straight in the division (below). Every other element is still there.
    spans = [element for element in _elements(finished) if element.S == "/Span"]
    assert len(spans) == 2
    assert all(isinstance(kid, int) for span in spans for kid in _kids(span))
    assert sum(1 for element in _elements(plain) if element.S == "/Span") > 10
    others = sorted(str(element.S) for element in _elements(plain) if element.S != "/Span")
    assert sorted(str(element.S) for element in _elements(finished) if element.S != "/Span") == others


def test_a_run_of_text_straight_in_a_grouping_element_keeps_its_span(both):
    """A division (like a section, a table or a row) holds elements, not text: its run keeps its span."""
    _plain, finished, _pdf = both
    [division] = [element for element in _elements(finished) if element.S == "/Div"]
    [span] = _kids(division)
    assert span.S == "/Span"
    assert [isinstance(kid, int) for kid in _kids(span)] == [True]


def test_it_writes_freed_numbers_as_free_entries_in_a_cross_reference_table_too(tmp_path):
    """Uncompressed, pydyf writes a cross-reference table (not a stream): the folded spans' numbers are free
    entries there as well, and the file is sound."""
    document = html_to_pdf_document(HTML)
    pdf = document.write_pdf(
        pdf_variant=PDF_VARIANT, uncompressed_pdf=True, finisher=functools.partial(finish_tags, id_prefix="")
    )
    table = pdf[pdf.rindex(b"\nxref\n") : pdf.rindex(b"trailer")]
    assert len(re.findall(rb"\d{10} 65535 f", table)) > 10
    qpdf_check(pdf, tmp_path)
    with pikepdf.open(io.BytesIO(pdf)) as reopened:
        assert [element for element in _elements(reopened) if element.S == "/TD"]


def test_every_marked_run_still_leads_to_an_element_on_its_page_that_lists_it(both, tmp_path):
    plain, finished, pdf = both
    marked = _marked(finished)
    assert len(marked) == len(_marked(plain)) > 10
    for page, mcid, element in marked:
        assert element.Pg.objgen == finished.pages[page].objgen
        assert mcid in [int(kid) for kid in _kids(element) if isinstance(kid, int)]
    assert {page for page, _mcid, _element in marked} == {0, 1}
    # The link keeps its annotation and its text; qpdf finds nothing wrong (freed numbers included).
    [link] = [element for element in _elements(finished) if element.S == "/Link"]
    assert any(isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid for kid in _kids(link))
    qpdf_check(pdf, tmp_path)


def test_it_lists_the_headers_ids_with_the_prefix_in_an_id_tree(both):
    plain, finished, _pdf = both
    assert "/IDTree" not in plain.Root.StructTreeRoot
    headers = [element for element in _elements(finished) if element.S == "/TH"]
    ids = dict(pikepdf.NameTree(finished.Root.StructTreeRoot.IDTree).items())
    assert sorted(ids) == sorted(str(header.ID) for header in headers)
    assert len(ids) == 2
    assert all(name.startswith("c7-") for name in ids)
    assert all(ids[str(header.ID)].objgen == header.objgen for header in headers)
    named = {str(header) for cell in _elements(finished) if cell.S == "/TD" for header in cell.A.Headers}
    assert named == set(ids)
