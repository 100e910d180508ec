"""Text contrast, measured in chromium: the project code on the portal and blue links on grey reach 4.5:1.

WCAG 2 AA asks 4.5:1 for normal-size text. The ratio is computed from the
colours chromium computes for each element: its text colour over its
background (the first opaque background up its ancestors, with translucent
ones blended in), with the relative luminance of WCAG 2. The elements are the
ones checkers flagged: ``.portal-code`` on the portal's grey page, the sort
links in the department table's grey header, the pager, and the "Fill in the
text" button on the grey panel of the letter page.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]

#: [{text, ratio}] for every element matching the selector.
CONTRASTS = """
(selector) => {
  const parse = (c) => {
    const n = c.match(/[\\d.]+/g).map(Number);
    return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1];
  };
  const channel = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (rgb) => { const [r, g, b] = rgb.map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const over = (top, base) => base.map((v, i) => top[i] * top[3] + v * (1 - top[3]));
  return Array.from(document.querySelectorAll(selector)).map((el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) { layers.push(colour); if (colour[3] >= 1) break; }
    }
    const background = layers.reverse().reduce((base, layer) => over(layer, base), [255, 255, 255]);
    const text = over(parse(getComputedStyle(el).color), background);
    const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
    return { text: el.textContent.trim().slice(0, 30), ratio: (light + 0.05) / (dark + 0.05) };
  });
}
"""

#: (who, path, selector) of the text that must reach 4.5:1.
TARGETS = (
    ("admin", "/projects/departments/ALPHA/budget/", "thead.table-light a"),
    ("admin", "/projects/departments/ALPHA/budget/", ".pagination a.page-link, .pagination .active .page-link"),
    ("admin", "/projects/", ".pagination a.page-link, .pagination .active .page-link"),
    ("admin", "/projects/ALPHA-1/correspondence/letter/", "aside form .btn-outline-primary"),
    ("client", "/portal/", ".portal-code"),
    ("client", "/portal/ALPHA-1/", ".portal-code"),
)


def test_it_gives_the_flagged_text_a_contrast_of_at_least_4_5(browser, live_server, main_pages_world):
    for n in range(55):  # more than a page of projects: the pager shows
        factories.ProjectFactory(code=f"PAGE-{n}", name=f"Paged {n}", departments=[main_pages_world.department])
    low: list[str] = []
    errors: list[str] = []  # a stylesheet that failed to load would leave default (passing) colours
    for who in ("admin", "client"):
        context = browser.new_context()
        page = context.new_page()
        watch(page, errors)
        log_in(page, live_server, who)
        for _who, path, selector in (t for t in TARGETS if t[0] == who):
            page.goto(f"{live_server.url}{path}")
            found = page.evaluate(CONTRASTS, selector)
            if not found:
                low.append(f"{path} {selector}: no such element")
            for item in found:
                line = f"{path} {selector} {item['text']!r}: {item['ratio']:.2f}:1"
                if item["ratio"] < 4.5:
                    low.append(line)
        context.close()
    assert errors == []
    assert low == [], "\n".join(low)
