"""Reading a rendered PDF back for the accessibility and validity tests: its tags, metadata, fonts, qpdf's verdict.

Everything is read with pypdf from the bytes APM produced (never from the
HTML it came from). ``qpdf_check`` runs Debian's ``qpdf --check``; where qpdf
is missing it skips the test, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
}


def _resolve(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def struct_elements(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every structure element under the catalogue's ``/StructTreeRoot``, depth first, in reading order."""
    root = _resolve(reader.trailer["/Root"])
    stack = [_resolve(root["/StructTreeRoot"])]
    while stack:
        node = stack.pop()
        kids = _resolve(node.get("/K")) if isinstance(node, DictionaryObject) else None
        if kids is None:
            continue
        kids = list(kids) if isinstance(kids, ArrayObject) else [kids]
        elements = [kid for kid in map(_resolve, kids) if isinstance(kid, DictionaryObject) and "/S" in kid]
        for element in reversed(elements):
            stack.append(element)
        if node.get("/Type") == "/StructElem":
            yield node


@dataclass
class PdfAccessibility:
    """What a reader of a tagged PDF relies on, as found in one PDF."""

    has_struct_tree: bool
    marked: bool
    display_doc_title: bool
    lang: str
    title: str
    author: str
    tags: list[str] = field(default_factory=list)
    figures_without_alt: int = 0
    figure_alts: list[str] = field(default_factory=list)
    xmp_titles: list[str] = field(default_factory=list)
    xmp_pdfua_part: str = ""


def accessibility(pdf: bytes) -> PdfAccessibility:
    """The tags, catalogue entries, document information and XMP metadata of ``pdf``."""
    reader = PdfReader(io.BytesIO(pdf))
    root = _resolve(reader.trailer["/Root"])
    info = reader.metadata or {}
    found = PdfAccessibility(
        has_struct_tree="/StructTreeRoot" in root,
        marked=str(_resolve(root.get("/MarkInfo", {})).get("/Marked", "")).lower() == "true",
        display_doc_title=str(_resolve(root.get("/ViewerPreferences", {})).get("/DisplayDocTitle", "")).lower()
        == "true",
        lang=str(root.get("/Lang", "")),
        title=str(info.get("/Title", "")),
        author=str(info.get("/Author", "")),
    )
    if found.has_struct_tree:
        for element in struct_elements(reader):
            tag = str(element["/S"]).lstrip("/")
            found.tags.append(tag)
            if tag == "Figure":
                alt = str(element.get("/Alt", "")).strip()
                if alt:
                    found.figure_alts.append(alt)
                else:
                    found.figures_without_alt += 1
    if "/Metadata" in root:
        xml = _resolve(root["/Metadata"]).get_data().decode("utf-8")
        body = xml[xml.index("<x:xmpmeta") : xml.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
        tree = ET.fromstring(body)  # noqa: S314 (our own PDF's metadata)
        found.xmp_titles = [li.text or "" for li in tree.iterfind(".//dc:title/rdf:Alt/rdf:li", XMP_NS)]
        for description in tree.iterfind(".//rdf:Description", XMP_NS):
            part = description.get(f"{{{XMP_NS['pdfuaid']}}}part")
            if part:
                found.xmp_pdfua_part = part
    return found


def _font_names(resources: object, seen: set[int]) -> Iterator[str]:
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject) or id(resources) in seen:
        return
    seen.add(id(resources))
    for font in _resolve(resources.get("/Font", DictionaryObject())).values():
        font = _resolve(font)
        yield str(font.get("/BaseFont", ""))
        for descendant in _resolve(font.get("/DescendantFonts", ArrayObject())):
            yield str(_resolve(descendant).get("/BaseFont", ""))
    for xobject in _resolve(resources.get("/XObject", DictionaryObject())).values():
        xobject = _resolve(xobject)
        if "/Resources" in xobject:
            yield from _font_names(xobject["/Resources"], seen)


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of every font the pages (and the forms they draw) use, subset tags removed."""
    reader = PdfReader(io.BytesIO(pdf))
    names: set[str] = set()
    seen: set[int] = set()
    for page in reader.pages:
        for name in _font_names(page.get("/Resources"), seen):
            names.add(name.lstrip("/").split("+", 1)[-1])
    return names


def qpdf_check(pdf: bytes, tmp_path) -> str:
    """``qpdf --check``'s output for ``pdf``; fails the test when qpdf finds an error or a warning."""
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("qpdf is not installed (apt-get install qpdf); CI must run the PDF validity check.")
        pytest.skip("qpdf is not installed (apt-get install qpdf)")
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    # Exit status 0: no errors or warnings; 2: errors; 3: warnings.
    assert result.returncode == 0, output
    assert "No syntax or stream encoding errors found" in output, output
    return output
