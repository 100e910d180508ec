"""Profile: where WeasyPrint spends its time on our largest department report.

    DATABASE_URL=... .venv/bin/python bench/report_profile.py [--department CODE] [--top 25]

Renders the report once to warm caches, then once under cProfile, and prints
the time per phase (HTML, style and layout, PDF writing) and the functions
with the most own time. Uses the same database rules as bench/report_render.py
(a temporary SQLite with the real GMPP import when the configured one is empty).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report_render


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--department")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    report_render.setup_django()
    if report_render.project_count() == 0:
        print("The configured database holds no projects: run bench/report_render.py first or set DATABASE_URL.")
        return 2
    from django.db.models import Count
    from django.utils import timezone

    from apm.pdf import document_to_pdf, html_to_pdf_document
    from reports.rendering import report_render_html
    from reports.snapshot import report_build_snapshot
    from teams.models import Department

    departments = Department.objects.annotate(n=Count("projects"))
    department = (
        departments.filter(code__iexact=args.department).first()
        if args.department
        else departments.order_by("-n", "code").first()
    )
    snapshot = report_build_snapshot(
        kind="portfolio", audience="internal", scope="department", department=department,
        period_start=None, period_end=timezone.localdate(), title=f"{department.name}: portfolio report",
    )  # fmt: skip
    html = report_render_html(snapshot, toc=True)
    document_to_pdf(html_to_pdf_document(html))  # warm-up: fonts, CSS parser caches

    phases = {}
    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()
    html = report_render_html(snapshot, toc=True)
    phases["template"] = time.perf_counter() - started
    started = time.perf_counter()
    document = html_to_pdf_document(html)
    phases["style and layout"] = time.perf_counter() - started
    started = time.perf_counter()
    document_to_pdf(document)
    phases["PDF writing"] = time.perf_counter() - started
    profiler.disable()

    print(f"{department.code}: {len(document.pages)} pages")
    for name, seconds in phases.items():
        print(f"  {name:18} {seconds:.2f} s")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats("weasyprint/(layout|css)", args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
