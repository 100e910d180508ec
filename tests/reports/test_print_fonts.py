"""The body font of the PDFs covers every character the print templates and formatters write.

A character the first family lacks is drawn from a fallback font: the
exception report's minus sign came out in Noto Sans CJK. The body font is the
first family of the print stylesheet's ``html`` rule (reports) and of the
letter's ``body`` rule; its file is found under /usr/share/fonts by the
family name in its ``name`` table, and its cmap read with fontTools.
Python sources are scanned for their string literals (docstrings and comments
are not printed); templates for their text outside ``{# #}`` comments.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from fontTools.ttLib import TTFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


def first_family(css: str, selector: str) -> str:
    """The first family of the last ``font-family`` or ``font`` declaration in a ``selector`` rule of ``css``."""
    rules = re.findall(rf"(?:^|[}}\s]){re.escape(selector)}\s*\{{([^}}]*)\}}", css, re.MULTILINE)
    declarations = [found for rule in rules for found in re.findall(r"font(?:-family)?\s*:([^;]*)", rule)]
    assert declarations, selector
    family = re.search(r'"([^"]+)"', declarations[-1])
    assert family, declarations[-1]
    return family.group(1)


@cache
def cmap_of(family: str) -> frozenset[int]:
    """The code points of the regular face of ``family`` (an installed font); the test fails when none is found."""
    stem = family.replace(" ", "")
    for folder in FONT_DIRS:
        for path in sorted(folder.rglob(f"{stem}-Regular.*")) if folder.is_dir() else []:
            font = TTFont(path, lazy=True)
            if font["name"].getBestFamilyName() == family:
                return frozenset(font.getBestCmap())
    pytest.fail(f"No regular face of {family!r} under {', '.join(map(str, FONT_DIRS))} (fonts-noto-core).")


def string_literals(path: Path) -> str:
    """The string constants of a Python module, docstrings left out."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return "".join(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )


def template_text(path: Path) -> str:
    return re.sub(r"\{#.*?#\}", "", path.read_text("utf-8"), flags=re.DOTALL)


def report_sources() -> dict[str, str]:
    """What a report prints, by file: its templates, the formatters, the charts and the report code."""
    base = Path(settings.BASE_DIR)
    python = [
        base / "apm" / "formatting.py",
        base / "apm" / "templatetags" / "apm_format.py",
        *sorted((base / "apm" / "charts").glob("*.py")),
        *sorted(path for path in (base / "reports").rglob("*.py") if "migrations" not in path.parts),
        *sorted((base / "projects" / "budget").rglob("*.py")),
    ]
    sources = {str(path.relative_to(base)): string_literals(path) for path in python}
    for path in sorted((base / "templates" / "reports" / "pdf").glob("*.html")):
        sources[str(path.relative_to(base))] = template_text(path)
    return sources


def uncovered(sources: dict[str, str], cmap: frozenset[int]) -> dict[str, list[str]]:
    missing: dict[str, list[str]] = {}
    for name, text in sources.items():
        for char in sorted({char for char in text if ord(char) > 127 and ord(char) not in cmap}):
            missing.setdefault(f"U+{ord(char):04X} {char}", []).append(name)
    return missing


def test_it_finds_the_non_ascii_characters_the_reports_print():
    printed = "".join(report_sources().values())
    # The scan sees what the reports do print (so that an empty scan cannot pass).
    for char in "£€—…·±":
        assert char in printed


def test_it_covers_every_character_of_the_report_templates_and_formatters_in_the_body_font():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "print.css").read_text("utf-8")
    family = first_family(css, "html")
    assert family == "Noto Sans"
    assert uncovered(report_sources(), cmap_of(family)) == {}


def test_it_covers_every_character_of_the_letter_in_its_body_font():
    path = Path(settings.BASE_DIR) / "templates" / "letters" / "letter.html"
    text = template_text(path)
    sources = {
        "templates/letters/letter.html": text,
        "projects/correspondence/letters.py": string_literals(
            Path(settings.BASE_DIR) / "projects" / "correspondence" / "letters.py"
        ),
    }
    for selector in ("body", "h1"):
        assert uncovered(sources, cmap_of(first_family(text, selector))) == {}
