"""Static files: served compressed under hashed names with a long cache life (WhiteNoise); readable button colours."""

from __future__ import annotations

import gzip
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage


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


def _body(response) -> bytes:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return body


@pytest.mark.parametrize("name", ["vendor/bootstrap/bootstrap.min.css", "css/apm.css", "vendor/htmx/htmx.min.js"])
def test_it_serves_hashed_static_files_gzipped_and_cached_for_good(client, db, name):
    url = staticfiles_storage.url(name)
    stem, _dot, suffix = name.rpartition(".")
    assert re.fullmatch(rf"{re.escape(settings.STATIC_URL + stem)}\.[0-9a-f]{{12}}\.{suffix}", url), url
    plain = client.get(url)
    assert plain.status_code == 200
    original = _body(plain)
    assert original
    assert original == staticfiles_storage.open(url.removeprefix(settings.STATIC_URL)).read()
    zipped = client.get(url, headers={"accept-encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    compressed = _body(zipped)
    assert len(compressed) < len(original)
    assert gzip.decompress(compressed) == original
    cache = {part.strip() for part in zipped["Cache-Control"].split(",")}
    assert "immutable" in cache
    assert "public" in cache
    assert int(next(p for p in cache if p.startswith("max-age=")).split("=")[1]) >= 365 * 24 * 3600


def test_it_refuses_to_render_a_page_naming_a_static_file_that_does_not_exist():
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        staticfiles_storage.url("css/no-such-file.css")
