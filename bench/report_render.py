"""Benchmark: render the largest department portfolio report (WeasyPrint, and Chromium for comparison).

    .venv/bin/python bench/report_render.py [--department CODE] [--audience internal|client] [--repeat 3]

Uses the database the settings point at (DATABASE_URL, or the embedded
SQLite under var/). When that database holds no projects (or cannot be
read), the script re-runs itself against a temporary SQLite database, runs
the migrations and imports the real GMPP files from APM_REAL_DATA_DIR with
``manage.py import_portfolio --format gmpp``, and deletes the database at
the end. Nothing is asserted: it prints figures.

Printed: projects, pages, HTML size; snapshot seconds; render seconds (HTML
+ PDF, first run and median of ``--repeat``); plain WeasyPrint on the same
HTML (``apm.pdf.html_to_pdf_plain``), the gain and whether pages and
extracted text are identical; pages per second; peak Python
memory during one render (tracemalloc) and the process's peak RSS
(ru_maxrss); and, when /usr/bin/chromium exists, Chromium's headless
print-to-PDF time for the same HTML (stylesheet inlined as a file:// link)
and the WeasyPrint/Chromium time ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
TEMP_DB_FLAG = "APM_BENCH_TEMP_DB"


def setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    import django

    django.setup()


def project_count() -> int:
    from django.db import DatabaseError

    from projects.models import Project

    try:
        return Project.objects.count()
    except DatabaseError:
        return 0


def rerun_with_temp_db(argv: list[str]) -> int:
    """Run this script again against a fresh temporary SQLite database; return its exit code."""
    folder = Path(tempfile.mkdtemp(prefix="apm-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "APM_VAR_DIR": str(folder / "var"),
        TEMP_DB_FLAG: "1",
    }
    try:
        return subprocess.run([sys.executable, __file__, *argv], env=env, check=False).returncode
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_real_data() -> None:
    from django.conf import settings
    from django.core.management import call_command

    files = sorted((Path(settings.APM_REAL_DATA_DIR) / "gmpp_uk").glob("uk_20*.csv"))
    if not files:
        sys.exit(f"No projects in the database and no GMPP files under {settings.APM_REAL_DATA_DIR}/gmpp_uk.")
    print(f"Temporary SQLite database: migrating and importing {len(files)} GMPP files …", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("import_portfolio", "--format", "gmpp", *map(str, files), verbosity=0)
    print(f"  imported in {time.perf_counter() - started:.1f} s", flush=True)


def chromium_print(html: str) -> tuple[float, int] | None:
    """Seconds Chromium takes to print ``html`` to PDF, and its page count; None when it fails."""
    from django.conf import settings
    from pypdf import PdfReader

    folder = Path(tempfile.mkdtemp(prefix="apm-bench-chromium-"))
    try:
        css = (Path(settings.STATICFILES_DIRS[0]) / "css" / "print.css").resolve().as_uri()
        page = folder / "report.html"
        page.write_text(html.replace(f'href="{settings.STATIC_URL}css/print.css"', f'href="{css}"'), "utf-8")
        out = folder / "chromium.pdf"
        command = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={folder / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, timeout=180, check=False)
        seconds = time.perf_counter() - started
        if result.returncode != 0 or not out.exists():
            print(f"Chromium failed ({result.returncode}): {result.stderr.decode(errors='replace')[-400:]}")
            return None
        return seconds, len(PdfReader(out).pages)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--department", help="Department code (default: the one with the most projects).")
    parser.add_argument("--audience", default="internal", choices=["internal", "client"])
    parser.add_argument("--repeat", type=int, default=3, help="Timed renders after the first (default 3).")
    args = parser.parse_args()

    setup_django()
    if project_count() == 0:
        if os.environ.get(TEMP_DB_FLAG):
            import_real_data()
        else:
            print("The configured database holds no projects.", flush=True)
            return rerun_with_temp_db(sys.argv[1:])

    from django.db.models import Count
    from django.utils import timezone

    from reports.rendering import report_render_snapshot
    from reports.snapshot import report_build_snapshot
    from teams.models import Department

    departments = Department.objects.annotate(n=Count("projects"))
    department = (
        departments.filter(code__iexact=args.department).first()
        if args.department
        else departments.order_by("-n", "code").first()
    )
    if department is None:
        print(f"No department {args.department!r}.")
        return 2

    started = time.perf_counter()
    snapshot = report_build_snapshot(
        kind="portfolio",
        audience=args.audience,
        scope="department",
        department=department,
        period_start=None,
        period_end=timezone.localdate(),
        title=f"{department.name}: portfolio report (benchmark)",
    )
    snapshot_seconds = time.perf_counter() - started

    timings = []
    rendered = None
    for _ in range(1 + max(args.repeat, 0)):
        started = time.perf_counter()
        rendered = report_render_snapshot(snapshot)
        timings.append(time.perf_counter() - started)
    first, median = timings[0], statistics.median(timings[1:] or timings)

    tracemalloc.start()
    report_render_snapshot(snapshot)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    # The HTML WeasyPrint actually laid out (with its table of contents when over five pages).
    html = rendered.html
    pages = rendered.page_count
    print(f"Department:            {department.code} ({department.n} projects, audience {args.audience})")
    print(f"Pages:                 {pages}   HTML {len(html) / 1024:.0f} KiB   PDF {len(rendered.pdf) / 1024:.0f} KiB")
    print(f"Snapshot:              {snapshot_seconds:.3f} s")
    print(f"WeasyPrint render:     first {first:.2f} s, median of {len(timings[1:]) or 1} {median:.2f} s")
    print(f"Pages per second:      {pages / median:.1f}")
    print(f"Peak memory:           tracemalloc {peak / 2**20:.1f} MiB (one render), ru_maxrss {max_rss_mib:.0f} MiB")
    # Plain WeasyPrint on the same HTML (new font configuration, print.css fetched and parsed each time,
    # automatic hyphenation of commentary as before the profile-driven changes).
    plain_html = html.replace("</head>", "<style>.commentary { hyphens: auto; }</style></head>", 1)
    import io

    from pypdf import PdfReader

    from apm.pdf import html_to_pdf_plain

    plain_timings = []
    for _ in range(max(args.repeat, 1)):
        started = time.perf_counter()
        plain_pdf, plain_pages = html_to_pdf_plain(plain_html)
        plain_timings.append(time.perf_counter() - started)
    plain = statistics.median(plain_timings)

    def texts(pdf: bytes) -> list[str]:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]

    same = plain_pages == pages and texts(plain_pdf) == texts(rendered.pdf)
    print(f"Plain WeasyPrint:      median {plain:.2f} s ({plain_pages} pages); ours {median:.2f} s")
    print(f"Gain over plain:       {(1 - median / plain) * 100:.0f}% less time; pages and text identical: {same}")
    if CHROMIUM.exists():
        result = chromium_print(html)
        if result:
            seconds, chromium_pages = result
            print(f"Chromium print-to-PDF: {seconds:.2f} s ({chromium_pages} pages, includes browser start-up)")
            print(f"WeasyPrint/Chromium:   ours {median / seconds:.2f}x, plain {plain / seconds:.2f}x the time")
    else:
        print("Chromium:              not installed (/usr/bin/chromium), no comparison")
    return 0


if __name__ == "__main__":
    sys.exit(main())
