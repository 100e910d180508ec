"""A large report laid out chunk by chunk and merged reads exactly as the single pass.

One department of 120 projects, its portfolio report rendered both ways
(:func:`reports.rendering.report_render_snapshot` with ``chunked``), read back
from the PDF bytes: the text of every page (pypdf), the contents entries and
their page numbers, "Page X of Y" on every page, every contents link resolving
to the page of its heading, the outline, and the tags merged into one
structure tree that still resolves every marked-content id and annotation
(plus ``qpdf --check`` and the accessibility checks of test_tagged_pdf.py).
The client version, chunked, shows none of the planted internal money.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2
import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from pypdf import PdfReader

from apm.pdf import Chunk
from apm.pdf_merge import merge_tagged
from reports import sections as sections_module
from reports.kinds import KINDS
from reports.rendering import RenderedReport, report_render_snapshot, report_sections
from reports.sections import plan_chunks
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.apm.access.test_money_sentinels import leaks, pdf_text
from tests.pdfs import accessibility, qpdf_check
from tests.reports.large_reports import add_projects

PROJECTS = 120
PERIOD_END = dt.date(2025, 3, 31)


def _department() -> Any:
    """A department of :data:`PROJECTS` projects with internal money planted on each (the sentinels) and
    commentary of varying length, so that sections end at different heights."""
    department = factories.DepartmentFactory(code="BIG", name="Big Department")
    client = factories.ClientFactory(name="Globex")
    add_projects(department, client, PROJECTS, code_width=3, long_names=True, lengths=7, percent_step=1)
    return department


@pytest.fixture(scope="module")
def snapshots(django_db_setup, django_db_blocker) -> dict[str, dict[str, Any]]:
    """The internal and the client portfolio snapshots of the department (the data rolled back after)."""
    with django_db_blocker.unblock(), transaction.atomic():
        department = _department()
        built = {
            audience: report_build_snapshot(
                kind="portfolio",
                audience=audience,
                scope="department",
                department=department,
                period_start=dt.date(2025, 3, 1),
                period_end=PERIOD_END,
                title="Big Department: portfolio report",
                full_commentary=True,  # every project's commentary: the longest report
            )
            for audience in ("internal", "client")
        }
        transaction.set_rollback(True)
    return built


@pytest.fixture(scope="module")
def internal(snapshots) -> dict[str, RenderedReport]:
    """The internal report rendered in one pass and in chunks."""
    snapshot = snapshots["internal"]
    return {
        "single": report_render_snapshot(snapshot, chunked=False),
        "chunked": report_render_snapshot(snapshot, chunked=True),
    }


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def pages(internal) -> dict[str, list[str]]:
    """The text of every page of both renders."""
    return {way: texts(rendered.pdf) for way, rendered in internal.items()}


def contents_lines(page_text: str) -> list[tuple[str, int]]:
    """``(title, page)`` of every entry of a contents page ("Projects ........ 3")."""
    found = []
    for line in page_text.splitlines():
        match = re.fullmatch(r"(.*?)\s*(?:\.\s?){3,}\s*(\d+)", line.strip())
        if match:
            found.append((match.group(1), int(match.group(2))))
    return found


def links(pdf: bytes) -> list[tuple[int, str, int | None]]:
    """``(page, destination name, page it resolves to)`` of every internal link (pages 1-based)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        index = {page.objgen: n for n, page in enumerate(document.pages)}
        tree = pikepdf.NameTree(document.Root.Names.Dests)
        found = []
        for n, page in enumerate(document.pages):
            for annotation in page.obj.get("/Annots", []):
                if "/Dest" in annotation:
                    destination = tree.get(str(annotation.Dest))
                    target = None if destination is None else index[destination[0].objgen] + 1
                    found.append((n + 1, str(annotation.Dest), target))
        return found


def outline(pdf: bytes) -> list[tuple[int, str, int, float]]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        index = {page.objgen: n for n, page in enumerate(document.pages)}
        found: list[tuple[int, str, int, float]] = []

        def walk(items: Any, depth: int) -> None:
            for item in items:
                destination = item.destination
                found.append(
                    (depth, str(item.title), index[destination[0].objgen] + 1, round(float(destination[3]), 1))
                )
                walk(item.children, depth + 1)

        with document.open_outline() as tree:
            walk(tree.root, 0)
        return found


def structure(pdf: bytes) -> dict[str, Any]:
    """What the structure tree resolves: Documents under the root, MCIDs and annotations whose element is not
    on their page, element IDs and those the IDTree lists, table header cells pointing at unknown IDs."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root.StructTreeRoot
        parents = dict(pikepdf.NumberTree(root.ParentTree).items())
        wrong, mcids = 0, 0
        for page in document.pages:
            elements = parents[int(page.obj.StructParents)]
            contents = page.obj.Contents
            data = b"".join(
                part.read_bytes() for part in (contents if isinstance(contents, pikepdf.Array) else [contents])
            )
            for mcid in map(int, re.findall(rb"/MCID (\d+)", data)):
                mcids += 1
                wrong += elements[mcid].Pg.objgen != page.objgen
            for annotation in page.obj.get("/Annots", []):
                element = parents[int(annotation.StructParent)]
                wrong += not any(
                    isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid and kid.Obj.objgen == annotation.objgen
                    for kid in element.K
                )
        ids: list[str] = []
        headers: set[str] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    if "/ID" in kid:
                        ids.append(str(kid.ID))
                    attributes = kid.get("/A")
                    if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                        headers |= {str(header) for header in attributes.Headers}
                    stack.append(kid)
        listed = set(pikepdf.NameTree(root.IDTree).keys()) if "/IDTree" in root else set()
        documents = root.K if isinstance(root.K, pikepdf.Array) else [root.K]
        return {
            "documents": len(documents),
            "mcids": mcids,
            "wrong": wrong,
            "ids_unique": len(ids) == len(set(ids)),
            "ids_listed": set(ids) == listed,
            "headers_unknown": sorted(headers - set(ids)),
        }


def test_it_lays_the_report_out_in_several_chunks_of_whole_sections(snapshots):
    sections = report_sections(snapshots["internal"])
    assert sections is not None
    chunks = plan_chunks(sections)
    assert len(chunks) >= 4
    assert [section for chunk in chunks for section in chunk] == sections
    assert all(chunk[0].starts_page for chunk in chunks)


def test_a_small_report_is_cut_into_smaller_chunks_and_a_large_one_keeps_their_size():
    """At least ``min_chunks`` chunks as far as the sections allow (so that no worker is left alone with a
    large last part while the others wait); a large report's chunks stay at ``CHUNK_WEIGHT``."""
    small = [sections_module.Section(id="summary", template="t", weight=4)] + [
        sections_module.Section(id=f"s{n}", template="t", weight=3, starts_page=n != 3) for n in range(6)
    ]

    def ids(chunks):
        return [[section.id for section in chunk] for chunk in chunks]

    assert ids(plan_chunks(small)) == [["summary"], ["s0", "s1"], ["s2", "s3"], ["s4", "s5"]]
    assert ids(plan_chunks(small, min_chunks=16)) == [["summary"], ["s0"], ["s1"], ["s2", "s3"], ["s4"], ["s5"]]
    large = [sections_module.Section(id=f"s{n}", template="t", weight=2) for n in range(401)]
    sizes = {sum(section.weight for section in chunk) for chunk in plan_chunks(large, min_chunks=16)[1:]}
    assert sizes == {sections_module.CHUNK_WEIGHT}


def test_it_gives_the_same_text_on_every_page_in_one_pass_and_in_chunks(internal, pages):
    single, chunked = pages["single"], pages["chunked"]
    assert internal["chunked"].page_count == internal["single"].page_count == len(single) == len(chunked) > 10
    assert [n + 1 for n, (one, other) in enumerate(zip(single, chunked, strict=True)) if one != other] == []
    total = len(chunked)
    assert all(f"Page {n} of {total}" in text for n, text in enumerate(chunked, start=1))
    assert all("Big Department: portfolio report" in text and "31 Mar 2025" in text for text in chunked)


def bitmaps(pdf: bytes, dpi: int = 100) -> list[bytes]:
    """Every page of ``pdf`` drawn by PDFium at ``dpi``, as raw RGB pixels."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB").tobytes() for page in document]
    finally:
        document.close()


def test_every_page_looks_exactly_like_the_single_pass(internal):
    """Pixel for pixel: the merged pages, and on each the running header, the audience line and "Page X of Y",
    put together from glyphs laid out once (apm.pdf.page_number_kit) where a single pass lays them out."""
    single, chunked = bitmaps(internal["single"].pdf), bitmaps(internal["chunked"].pdf)
    assert len(single) == len(chunked) > 5
    assert [n + 1 for n, (one, other) in enumerate(zip(single, chunked, strict=True)) if one != other] == []


def test_it_gives_the_same_contents_and_every_link_resolves_to_its_heading(internal, pages, snapshots):
    entries = dict(KINDS["portfolio"].toc_entries(snapshots["internal"]))
    single, chunked = pages["single"], pages["chunked"]
    assert contents_lines(chunked[1]) == contents_lines(single[1])
    printed = dict(contents_lines(chunked[1]))
    assert list(printed) == list(entries.values()) == ["Summary", "Projects", "Revenue and margin", "Latest commentary"]
    assert links(internal["chunked"].pdf) == links(internal["single"].pdf)
    # What the page an entry points at shows first (the summary has no heading of its own).
    shown = {
        "Summary": "RAG:",
        "Projects": "Projects\nCode",
        "Revenue and margin": "Revenue and margin\n",
        "Latest commentary": "Latest commentary\n",
    }
    for way in ("single", "chunked"):
        found = links(internal[way].pdf)
        assert {name for _page, name, _target in found} == set(entries)  # a link's boxes: an annotation each
        for page, name, target in found:
            assert page == 2
            assert target == printed[entries[name]]
            assert shown[entries[name]] in pages[way][target - 1]
            assert shown[entries[name]] not in pages[way][target - 2]
    assert outline(internal["chunked"].pdf) == outline(internal["single"].pdf)


def test_it_merges_the_tags_into_one_structure_tree(internal, snapshots, tmp_path):
    single, chunked = accessibility(internal["single"].pdf), accessibility(internal["chunked"].pdf)
    assert chunked.has_struct_tree
    assert chunked.marked
    assert chunked.display_doc_title
    assert chunked.lang == "en-GB"
    assert chunked.title == snapshots["internal"]["title"] == chunked.xmp_titles[0]
    assert chunked.author == single.author
    assert chunked.xmp_pdfua_part == "1"
    assert chunked.figures_without_alt == 0
    assert sorted(chunked.tags) == sorted(single.tags)
    found = structure(internal["chunked"].pdf)
    assert found["documents"] == 1
    assert found["mcids"] > 1000
    assert found["wrong"] == 0
    assert found["ids_unique"]
    assert found["ids_listed"]
    assert found["headers_unknown"] == []
    qpdf_check(internal["chunked"].pdf, tmp_path)


def test_it_shows_a_client_no_internal_money_in_a_chunked_report(snapshots):
    rendered = report_render_snapshot(snapshots["client"], chunked=True)
    text = pdf_text(rendered.pdf)
    assert "Programme 119" in text
    assert f"Page {rendered.page_count} of {rendered.page_count}" in text
    assert "Prepared for the client" in text
    assert leaks(text) == []


@pytest.mark.django_db
def test_it_lays_out_in_chunks_above_the_setting_only(world, settings):
    snapshot = report_build_snapshot(
        kind="portfolio",
        audience="internal",
        scope="department",
        department=world["alpha"],
        period_start=dt.date(2025, 3, 1),
        period_end=PERIOD_END,
        title="Alpha portfolio",
    )
    settings.APM_REPORT_CHUNK_ABOVE = 1
    small = report_render_snapshot(snapshot)
    settings.APM_REPORT_CHUNK_ABOVE = 0
    chunked = report_render_snapshot(snapshot)
    # One pass names the table headers as WeasyPrint does; a part puts its key's first digits before them
    # (the merge takes every part's IDTree as it is). Both list them in an IDTree, as PDF/UA asks.
    with pikepdf.open(io.BytesIO(small.pdf)) as one, pikepdf.open(io.BytesIO(chunked.pdf)) as other:
        one_ids = list(pikepdf.NameTree(one.Root.StructTreeRoot.IDTree).keys())
        other_ids = list(pikepdf.NameTree(other.Root.StructTreeRoot.IDTree).keys())
    assert one_ids
    assert all(re.fullmatch(r"\d+-\d+-\d+", name) for name in one_ids)
    assert len(other_ids) == len(one_ids)
    assert all(re.fullmatch(r"[0-9a-f]{16}-\d+-\d+-\d+", name) for name in other_ids)
    assert structure(small.pdf)["ids_listed"]
    assert structure(chunked.pdf)["ids_listed"]
    assert texts(chunked.pdf) == texts(small.pdf)
    with pytest.raises(ValueError, match="not laid out in sections"):
        report_render_snapshot({**snapshot, "kind": "highlight"}, chunked=True)


@pytest.mark.parametrize(
    ("template", "keys"),
    [("projects.html", sections_module.TABLE_KEYS), ("commentary.html", sections_module.COMMENTARY_KEYS)],
)
def test_a_rows_slice_holds_every_field_its_template_shows(template, keys):
    """A row's slice is cut to what its section shows (and caches under): a field the template reads but the
    slice leaves out would print blank, silently. ``stale`` is period-relative and stays out on purpose."""
    text = (Path(settings.BASE_DIR) / "templates" / "reports" / "pdf" / "sections" / template).read_text()
    shown = set(re.findall(r"\brow\.([a-z_]+)", text))
    assert shown
    assert shown <= set(keys)
    assert "stale" not in keys


def test_a_report_merged_in_a_process_of_its_own_is_the_same_report(internal, snapshots, pages, caplog, tmp_path):
    """Above ``APM_REPORT_MERGE_APART_PAGES`` pages the parts are merged by ``python -m apm.pdf_merge``: the same
    pages, contents links, outline and structure tree as merged in the worker."""
    with override_settings(APM_REPORT_MERGE_APART_PAGES=0), caplog.at_level(logging.INFO, logger="apm.pdf_merge"):
        apart = report_render_snapshot(snapshots["internal"], chunked=True)
    [said] = [record.getMessage() for record in caplog.records if record.name == "apm.pdf_merge"]
    assert re.fullmatch(
        rf"Merged \d+ parts \({apart.page_count} pages\) in a process of its own: [\d.]+ s, peak memory [\d.]+ MB",
        said,
    )
    assert apart.page_count == internal["chunked"].page_count
    assert texts(apart.pdf) == pages["chunked"]
    assert links(apart.pdf) == links(internal["chunked"].pdf)
    assert outline(apart.pdf) == outline(internal["chunked"].pdf)
    assert structure(apart.pdf) == structure(internal["chunked"].pdf)
    qpdf_check(apart.pdf, tmp_path)


def test_a_merge_process_that_fails_says_why():
    broken = Chunk(pdf=b"%PDF-1.7\nnot a PDF at all", pages=1)
    with pytest.raises(RuntimeError, match=r"(?s)The merge process of 2 parts failed \(1\): .*chunk-0\.pdf") as raised:
        merge_tagged([broken, broken], outline=[], apart=True, timeout=60)
    assert "PdfError" in str(raised.value)
