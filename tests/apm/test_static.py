"""The app stylesheet: readable button colours."""

from __future__ import annotations

import re

from django.conf import settings


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_it_gives_amber_outline_buttons_dark_text_readable_on_white():
    css = (settings.BASE_DIR / "static" / "css" / "apm.css").read_text()
    rule = re.search(r"\.btn-outline-warning\s*\{([^}]*)\}", css)
    assert rule is not None
    colour = re.search(r"--bs-btn-color:\s*(#[0-9a-fA-F]{6})", rule.group(1)).group(1)
    contrast = 1.05 / (_relative_luminance(colour) + 0.05)  # against white
    assert contrast >= 4.5  # WCAG AA for normal text
    assert "border-color" not in rule.group(1)  # the border stays Bootstrap's amber
