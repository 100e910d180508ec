"""The HTML of every page, read back: the accessibility and policy rules a parser can check without a browser.

Every GET URL of the access sweep (``tests/apm/access/test_sweep.py``) is
loaded as the administrator, the PM and the client's contact in the sweep's
world, with a critical issue and a risk on ALPHA-1 so that the banner and the
heat map show. Every answer that is a whole HTML page (200, ``text/html``,
starting with a doctype; not an htmx fragment, a download or JSON) is parsed
and held to the rules below. axe-core and the Nu checker (tests/browser,
tests/js) check much more in a real browser; these rules are the ones a
template edit most easily breaks, and they run in a second.

* ids are unique, and ``aria-describedby``/``aria-labelledby`` name ids on the page;
* an ``aria-label`` sits on an element whose role permits a name (not on a bare ``div`` or ``span``);
* every form control has a label (``<label for>``, a wrapping label, ``aria-label`` or ``aria-labelledby``);
* checkboxes and radio buttons sharing a name sit in a ``<fieldset>`` with a ``<legend>`` (or a named group);
* no table header cell is empty;
* no ``hx-*`` attribute (htmx reads ``data-hx-*``, which is valid HTML) and no ``autocomplete`` on a radio button;
* no ``style`` attribute and no ``<style>`` element: the Content-Security-Policy allows styles only from
  our static files, so inline styles would be blocked (``tests/browser/test_csp.py`` checks that in chromium).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.access_world import World, build_world, furnish_pages, populate
from tests.apm.access.test_sweep import fill, swept_routes, url_for

pytestmark = pytest.mark.django_db

#: Elements an ``aria-label`` may not name without a role (their implicit role, generic, prohibits a name).
GENERIC = {"div", "span", "p", "b", "i", "strong", "em", "small"}
#: Input types that are not form controls needing a label.
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: list[Element]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class Page(HTMLParser):
    """A page's elements (tag, attributes, ancestors and text), enough to check the rules above."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, list(self.open))
        if self.open:
            self.open[-1].children.append(element)
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def ids(self) -> list[str]:
        return [e.attrs["id"] for e in self.elements if "id" in e.attrs]


def _described(element: Element) -> str:
    return f"<{element.tag} {' '.join(f'{k}={v!r}' for k, v in element.attrs.items())}>"


def problems(page: Page) -> list[str]:
    """Every broken rule of the module docstring on ``page``, one line each."""
    found: list[str] = []
    ids = page.ids()
    found += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    labelled_for = {e.attrs.get("for") for e in page.elements if e.tag == "label"}
    groups: dict[str, list[Element]] = {}
    for e in page.elements:
        described = _described(e)
        for attr in ("aria-describedby", "aria-labelledby"):
            missing = [i for i in e.attrs.get(attr, "").split() if i not in ids]
            found += [f"{attr} names missing id {i!r}: {described}" for i in missing]
        if "aria-label" in e.attrs and e.tag in GENERIC and "role" not in e.attrs:
            found.append(f"aria-label without a role: {described}")
        found += [f"hx- attribute (use data-hx-): {described}" for a in e.attrs if a.startswith("hx-")]
        if "style" in e.attrs:
            found.append(f"style attribute: {described}")
        if e.tag == "style":
            found.append("<style> element")
        if e.tag == "th" and not e.text.strip() and "aria-label" not in e.attrs:
            found.append(f"empty table header: {described}")
        kind = e.attrs.get("type", "text")
        if e.tag in ("select", "textarea") or (e.tag == "input" and kind not in UNLABELLED_INPUTS):
            named = {"aria-label", "aria-labelledby"} & set(e.attrs)
            if not named and e.attrs.get("id") not in labelled_for and not any(p.tag == "label" for p in e.parents):
                found.append(f"form control without a label: {described}")
        if e.tag == "input" and kind in ("radio", "checkbox"):
            if kind == "radio" and "autocomplete" in e.attrs:
                found.append(f"autocomplete on a radio button: {described}")
            groups.setdefault(e.attrs.get("name", ""), []).append(e)
    for name, boxes in groups.items():
        if len(boxes) > 1 and not all(_grouped(box) for box in boxes):
            found.append(f"{len(boxes)} choices named {name!r} outside a fieldset with a legend or a named group")
    return found


def _grouped(box: Element) -> bool:
    for parent in box.parents:
        if parent.tag == "fieldset" and any(child.tag == "legend" for child in parent.children):
            return True
        if parent.attrs.get("role") in ("group", "radiogroup") and {"aria-label", "aria-labelledby"} & set(
            parent.attrs
        ):
            return True
    return False


@pytest.fixture
def pages_world(db) -> World:
    return furnish_pages(populate(build_world()))


def whole_pages(client, world: World) -> dict[str, tuple[str, str]]:
    """Every GET URL of the sweep that answers ``client`` with a whole HTML page: {path: (html, its
    Content-Security-Policy's style-src)}."""
    pages = {}
    for route in swept_routes():
        kwargs = fill(route, world.own) if route.params else {}
        if kwargs is None:
            continue
        path = url_for(route, kwargs)
        response = client.get(path)
        html = response.content.decode() if response.get("Content-Type", "").startswith("text/html") else ""
        if response.status_code == 200 and html.lstrip().lower().startswith("<!doctype html"):
            style_src = next(
                (d for d in response.get("Content-Security-Policy", "").split(";") if "style-src" in d), ""
            )
            pages[path] = (html, style_src.strip())
    return pages


@pytest.mark.parametrize("relationship", ["admin", "pm", "contact"])
def test_it_keeps_every_page_to_the_html_rules(client, pages_world, relationship):
    client.force_login(pages_world.users[relationship])
    pages = whole_pages(client, pages_world)
    assert len(pages) > (2 if relationship == "contact" else 30), sorted(pages)
    found = [f"{path}: {line}" for path, (html, _) in pages.items() for line in problems(Page(html))]
    # No page may loosen the style policy: no page's style-src allows inline styles.
    found += [f"{path}: {style_src}" for path, (_, style_src) in pages.items() if "'unsafe-inline'" in style_src]
    assert found == [], "\n".join(found)


def test_it_finds_each_kind_of_problem():
    html = """<!doctype html><html lang="en"><body>
      <div id="a"></div><div id="a"></div>
      <input id="x" aria-describedby="x_helptext">
      <div class="rag-strip" aria-label="RAG over time"></div>
      <form hx-post="/"></form><p style="color: red"></p><style>p {}</style>
      <table><tr><th></th></tr></table>
      <select name="status"></select>
      <input type="radio" name="r" value="1" autocomplete="off" aria-label="one">
      <input type="checkbox" name="w" value="1" id="w1"><label for="w1">Mon</label>
      <input type="checkbox" name="w" value="2" id="w2"><label for="w2">Tue</label>
    </body></html>"""
    found = "\n".join(problems(Page(html)))
    for expected in (
        "duplicate id 'a'",
        "aria-describedby names missing id 'x_helptext'",
        "aria-label without a role: <div",
        "hx- attribute",
        "style attribute",
        "<style> element",
        "empty table header",
        "form control without a label: <select",
        "autocomplete on a radio button",
        "2 choices named 'w' outside a fieldset",
    ):
        assert expected in found


def test_it_accepts_the_accessible_forms_of_the_same():
    html = """<!doctype html><html lang="en"><body>
      <input id="x" aria-describedby="x_helptext"><div id="x_helptext">Help</div><label for="x">X</label>
      <div role="group" aria-label="RAG over time"></div><form data-hx-post="/"></form>
      <table><tr><th><span class="visually-hidden">Impact</span></th></tr></table>
      <label>Status <select name="status"></select></label>
      <fieldset><legend>Weekdays</legend>
        <input type="checkbox" name="w" value="1" id="w1"><label for="w1">Mon</label>
        <input type="checkbox" name="w" value="2" id="w2"><label for="w2">Tue</label>
      </fieldset>
    </body></html>"""
    assert problems(Page(html)) == []
