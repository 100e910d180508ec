"""html_to_pdf and its URL fetcher: only data: URLs and the app's static files are ever fetched."""

from __future__ import annotations

import http.server
import io
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from apm import pdf as pdf_module
from apm.pdf import REPORT_BASE_URL, StaticOnlyURLFetcher, URLRefused, html_to_pdf, static_path_for_url

# A 1x1 transparent PNG.
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def trap_server():
    """A local HTTP server that records every request it receives (it must receive none)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = b"body { color: red }" if self.path.endswith(".css") else b"x"
            self.send_response(200)
            self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "image/png")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def recorded_fetches(monkeypatch):
    """Record every call to our fetcher and to WeasyPrint's own (base) fetcher."""
    calls = {"safe": [], "safe_served": [], "base": [], "paths": []}
    safe_fetch = StaticOnlyURLFetcher.fetch
    base_fetch = URLFetcher.fetch
    resolve = pdf_module.static_path_for_url

    def spy_safe(self, url, headers=None):
        calls["safe"].append(url)
        response = safe_fetch(self, url, headers)
        calls["safe_served"].append(url)
        return response

    def spy_base(self, url, headers=None):
        calls["base"].append(url)
        return base_fetch(self, url, headers)

    def spy_resolve(url):
        path = resolve(url)
        calls["paths"].append(path)
        return path

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy_safe)
    monkeypatch.setattr(URLFetcher, "fetch", spy_base)
    monkeypatch.setattr(pdf_module, "static_path_for_url", spy_resolve)
    return calls


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_it_fetches_nothing_outside_static_and_only_through_the_safe_fetcher(trap_server, recorded_fetches):
    port, hits = trap_server
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="/static/css/print.css">
      <link rel="stylesheet" href="file:///etc/hostname">
      <link rel="stylesheet" href="http://127.0.0.1:{port}/linked.css">
      <style>@import url(http://127.0.0.1:{port}/evil.css); @import url("file:///etc/hostname");</style>
    </head><body>
      <h1 class="report-title">Fetch test</h1>
      <img src="file:///etc/passwd">
      <img src="http://127.0.0.1:{port}/x.png">
      <img src="https://127.0.0.1:{port}/y.png">
      <img src="../../../../etc/passwd">
      <img src="/static/../apm/settings.py">
      <img src="/static/%2e%2e/apm/settings.py">
      <img src="{PIXEL}">
      <div style="background: url(http://127.0.0.1:{port}/bg.png)">x</div>
    </body></html>"""

    pdf, pages = html_to_pdf(html)

    assert hits == []
    assert pages == 1
    assert pdf.startswith(b"%PDF")
    # Every fetch went through our fetcher; WeasyPrint's own fetcher only decoded the data: URL.
    assert recorded_fetches["safe"], "the safe fetcher never ran"
    assert all(url.startswith("data:") for url in recorded_fetches["base"])
    # print.css comes from the per-thread parsed copy (read from the static folder), not a fetch.
    assert sorted(recorded_fetches["safe_served"]) == [PIXEL]
    refused = set(recorded_fetches["safe"]) - set(recorded_fetches["safe_served"])
    assert "file:///etc/passwd" in refused
    assert "file:///etc/hostname" in refused
    assert f"http://127.0.0.1:{port}/x.png" in refused
    assert f"http://127.0.0.1:{port}/evil.css" in refused
    assert f"http://127.0.0.1:{port}/linked.css" in refused
    assert recorded_fetches["paths"] == []  # no static file was fetched: print.css is the parsed copy
    # The static stylesheet really was applied: its @page footer is in the PDF.
    assert "Page 1 of 1" in pdf_text(pdf)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/static/css/print.css",
        "https://example.com/static/css/print.css",
        f"{REPORT_BASE_URL}media/secret.pdf",
        f"{REPORT_BASE_URL}static/../apm/settings.py",
        f"{REPORT_BASE_URL}static/%2e%2e/apm/settings.py",
        f"{REPORT_BASE_URL}static/css/..%2f..%2fapm%2fsettings.py",
        f"{REPORT_BASE_URL}static/%2fetc%2fpasswd",
        f"{REPORT_BASE_URL}static/css\\..\\..\\apm\\settings.py",
        f"{REPORT_BASE_URL}static/css/missing.css",
        f"{REPORT_BASE_URL}static/",
        "//apm.invalid/static/css/print.css",
    ],
)
def test_it_refuses_urls_outside_the_static_files(url):
    with pytest.raises(URLRefused):
        static_path_for_url(url)
    with pytest.raises(URLRefused):
        StaticOnlyURLFetcher().fetch(url)


def test_it_resolves_static_urls_to_files_in_the_static_folder():
    expected = (Path(settings.STATICFILES_DIRS[0]) / "css" / "print.css").resolve()
    assert static_path_for_url("/static/css/print.css") == expected
    assert static_path_for_url(f"{REPORT_BASE_URL}static/css/print.css?v=2") == expected
    response = StaticOnlyURLFetcher().fetch(f"{REPORT_BASE_URL}static/css/print.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_it_resolves_the_hashed_names_of_the_static_files_storage():
    hashed = staticfiles_storage.url("css/print.css")
    assert hashed != "/static/css/print.css"  # the manifest storage names files by their content
    path = static_path_for_url(hashed)
    assert path.read_bytes() == (Path(settings.STATICFILES_DIRS[0]) / "css" / "print.css").read_bytes()
    with pytest.raises(URLRefused):
        static_path_for_url(hashed.replace("print.", "print.0", 1))  # no such file, hashed or not
    fetcher = StaticOnlyURLFetcher()
    html = f'<html><head><link rel="stylesheet" href="{hashed}"></head><body><p>Styled</p></body></html>'
    HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher).render()
    assert fetcher.served == [f"{REPORT_BASE_URL}{hashed.lstrip('/')}"]
    assert fetcher.refused == []


def test_it_counts_pages():
    html = "<html><body>" + "".join(f"<p style='break-after: page'>Page {i}</p>" for i in range(3)) + "</body></html>"
    pdf, pages = html_to_pdf(html)
    assert pages == 3
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3


def test_a_layout_with_an_extra_stylesheet_reuses_its_parse_and_the_font_configuration(monkeypatch):
    """Every part of a large report applies the same extra stylesheet: parsed once per thread, with print.css's
    font configuration (a new one for each part cost 3 ms and was never used)."""
    link = f'<link rel="stylesheet" href="{settings.STATIC_URL}{pdf_module.PRINT_CSS_PATH}">'
    html = f"<html><head>{link}</head><body><h1>Part</h1><p>Text</p></body></html>"
    extra = "@page { @bottom-right { content: none; } }"
    pdf_module.html_to_pdf_document(html, extra_css=extra)  # print.css parsed, its fonts configured

    def no_new_font_configuration(*_args, **_kwargs):
        raise AssertionError("a new font configuration")

    monkeypatch.setattr(pdf_module, "FontConfiguration", no_new_font_configuration)
    parsed = pdf_module._extra_stylesheet(extra, pdf_module._parsed_print_css()[1])
    document = pdf_module.html_to_pdf_document(html, extra_css=extra)
    assert len(document.pages) == 1
    assert pdf_module._extra_stylesheet(extra, pdf_module._parsed_print_css()[1]) is parsed
    # A few are kept, the oldest dropped first.
    font_config = pdf_module._parsed_print_css()[1]
    for n in range(pdf_module.EXTRA_STYLESHEETS_KEPT):
        pdf_module._extra_stylesheet(f"p {{ orphans: {n + 2}; }}", font_config)
    assert pdf_module._extra_stylesheet(extra, font_config) is not parsed
    assert len(pdf_module._per_thread.extra_css[1]) == pdf_module.EXTRA_STYLESHEETS_KEPT
