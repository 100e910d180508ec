"""Benchmark: render the largest department portfolio report (WeasyPrint, and Chromium for comparison).

    .venv/bin/python bench/report_render.py [--department CODE] [--audience internal|client] [--repeat 3]
    .venv/bin/python bench/report_render.py --department MOD --json

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

With ``--json`` it prints one JSON object instead (APM against plain WeasyPrint and Chromium, side by side):
``pages``; ``apm_single_s``, the median of ``--repeat`` (5) single-pass renders, each in a new process, one
pass, nothing rendered before it (fonts, print.css, templates all cold), each run in
``apm_single_runs_s``;
``plain_weasyprint_s``, the same HTML through ``HTML(string=...).write_pdf()``
(print.css as a file:// link, tagged PDF/UA-1 like ours) in a fresh Python
process; ``chromium_cold_s``, Debian's chromium ``--headless
--print-to-pdf`` of the same HTML written to a file, browser start-up
included; ``chromium_warm_s``, Playwright's chromium kept open,
``page.set_content`` + ``page.pdf`` after one warm-up; ``peak_rss_mb`` of
each (for APM the largest single-pass process's own peak, VmHWM, Django and the snapshot included; for
the others ``ru_maxrss`` of the largest child process, each measured from its own wrapper process); ``load_avg``
(``os.getloadavg()`` before and after); and the ratios. ``apm_cold_s``: the
same report laid out in parts by 2 Celery workers the bench starts and stops
itself on the embedded broker (bench/_fleet.py), the chunk cache empty, from
the publish of the render task to the rendered report (snapshot, parts,
assembly); ``apm_rerender_s``: the same again after a tenth of the projects
filed a new status update (new commentary, same ratings and figures). Both
are medians of ``--repeat`` such pairs on the same workers (each run in
``chunked``'s ``cold_runs_s`` and ``rerender_runs_s``): one run of half a
second on two shared cores moves by a tenth either way.
``chunked`` gives the parts laid out and taken from the cache, and the
workers' peak memory. With ``--json`` the bench always runs on a fresh
temporary database with the real GMPP import (it writes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
    # Progress on stderr: stdout carries the figures (one JSON object with --json).
    print(f"Temporary SQLite database: migrating and importing {len(files)} GMPP files …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, stdout=sys.stderr)
    call_command("import_portfolio", "--format", "gmpp", *map(str, files), verbosity=0, stdout=sys.stderr)
    print(f"  imported in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


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


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
]
# A static file the report links to: /static/NAME or https://apm.invalid/static/NAME (apm.pdf.REPORT_BASE_URL).
STATIC_LINK = re.compile(r'(href|src)="(?:https://apm\.invalid)?/static/([^"?#]+)[^"]*"')
STYLESHEET_FILE_LINK = re.compile(r'<link rel="stylesheet" href="(file://[^"]+)"\s*/?>')
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.[A-Za-z0-9]+)$")
#: What :func:`change_a_tenth` puts before a commentary (taken off before it puts it again).
WEEK_OF = re.compile(r"^Week of [^:]*, update \d+: ")


def with_file_links(html: str) -> str:
    """``html`` with every static link as a file:// URI of the source file, for a renderer outside Django."""
    from django.contrib.staticfiles import finders

    def link(match: re.Match[str]) -> str:
        name = match.group(2)
        found = finders.find(name) or finders.find(HASHED_NAME.sub(r"\1", name))
        if not found:
            return match.group(0)
        return f'{match.group(1)}="{Path(str(found)).resolve().as_uri()}"'

    return STATIC_LINK.sub(link, html)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MiB: this process's own (VmHWM), or the largest waited-for child's.

    A process started by fork + exec inherits the forking process's ``ru_maxrss`` (Linux keeps the
    old address space's high-water mark across exec), so a child of this large process reports
    VmHWM, its own address space's peak, instead. Children of a small wrapper process are not
    inflated that way, and ``RUSAGE_CHILDREN`` gives the largest of them.
    """
    if who == resource.RUSAGE_SELF:
        status = Path("/proc/self/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # KiB on Linux


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def child_measure(mode: str, html_path: Path) -> dict[str, object]:
    """One measurement in this fresh process (``--child MODE --html FILE``): seconds, pages, peak RSS."""
    out = html_path.with_suffix(f".{mode}.pdf")
    if mode == "plain":
        from weasyprint import HTML

        started = time.perf_counter()
        HTML(string=html_path.read_text("utf-8"), base_url=html_path.parent.as_uri() + "/").write_pdf(
            out, pdf_variant="pdf/ua-1"
        )
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "pages": pdf_pages(out), "peak_rss_mb": peak_rss_mb()}
    if mode == "chromium-cold":
        profile = html_path.parent / "profile-cold"
        command = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}"]
        started = time.perf_counter()
        result = subprocess.run([*command, html_path.as_uri()], capture_output=True, timeout=300, check=False)
        seconds = time.perf_counter() - started
        if result.returncode != 0 or not out.exists():
            return {"error": f"chromium exited {result.returncode}: {result.stderr.decode(errors='replace')[-300:]}"}
        # The largest of chromium's processes that were waited for (browser, renderer, GPU, zygote).
        return {"seconds": seconds, "pages": pdf_pages(out), "peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN)}
    if mode == "chromium-warm":
        from playwright.sync_api import sync_playwright

        # A page filled by set_content is about:blank, which may not load file:// links: inline the stylesheets.
        html = STYLESHEET_FILE_LINK.sub(
            lambda m: f"<style>{Path(unquote(urlsplit(m.group(1)).path)).read_text('utf-8')}</style>",
            html_path.read_text("utf-8"),
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            page = browser.new_page()
            timings = []
            for _ in range(2):  # the first warms the browser up; the second is measured
                started = time.perf_counter()
                page.set_content(html, wait_until="load")
                pdf = page.pdf(path=str(out), prefer_css_page_size=True)
                timings.append(time.perf_counter() - started)
            browser.close()
        del pdf
        return {
            "seconds": timings[-1],
            "warm_up_s": timings[0],
            "pages": pdf_pages(out),
            "peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
        }
    raise SystemExit(f"Unknown --child {mode!r}.")


def run_child(mode: str, html_path: Path) -> dict[str, object]:
    """``child_measure`` in a new Python process (nothing loaded, nothing cached); its JSON answer."""
    command = [sys.executable, __file__, "--child", mode, "--html", str(html_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        return {"error": result.stderr[-400:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def ratio(numerator: object, denominator: object) -> float | None:
    if isinstance(numerator, float) and isinstance(denominator, float) and denominator > 0:
        return round(numerator / denominator, 2)
    return None


def change_a_tenth(department, run: int = 1) -> int:
    """A new status update, dated today, for every tenth project of ``department`` (by code; today's edited
    when there is one): the same ratings and figures, new commentary (what a week brings: PMs write their
    updates), as long whatever the ``run``. Returns how many."""
    from django.utils import timezone

    from projects.models import StatusUpdate

    projects = list(department.projects.order_by("code"))[::10]
    today = timezone.localdate()
    for project in projects:
        latest = project.status_updates.order_by("-as_of", "-pk").first()
        if latest is None:
            StatusUpdate.objects.create(project=project, as_of=today, commentary_overall="First update this week.")
            continue
        if latest.as_of != today:  # a new update; today's (an earlier run's) is edited again
            latest.pk = None
            latest.as_of = today
            latest.source, latest.source_key = "bench", ""
        said = WEEK_OF.sub("", latest.commentary_overall or "") or "no change"
        latest.commentary_overall = f"Week of {today:%d %b %Y}, update {run}: {said}"[:5000]
        latest.save()
    return len(projects)


def chunked_figures(department, audience: str, runs: int) -> dict[str, object]:
    """The same report through 2 Celery workers the bench starts (bench/_fleet.py), ``runs`` times: cold (the
    chunk cache emptied; the workers warmed by one report of the other audience first, as running workers
    are, and from the second run on by the runs before, whose parts they no longer have but whose parsed
    stylesheets they keep, as running workers do), then again after :func:`change_a_tenth`. Seconds from the
    publish of the render task to the rendered report, each run's and their medians; pages and parts of the
    last run."""
    from reports.models import RenderedChunk, Report, ReportChunk

    sys.path.insert(0, str(BASE_DIR / "bench"))
    from _fleet import Fleet, queue_report, render_through_workers

    other = "client" if audience == "internal" else "internal"
    title = f"{department.name}: portfolio report (benchmark)"

    def parts(report_id: int) -> dict[str, int]:
        rows = ReportChunk.objects.filter(report_id=report_id)
        return {"parts": rows.count(), "from_cache": rows.filter(cached=True).count()}

    try:
        with Fleet(workers=2) as fleet:
            render_through_workers(queue_report(department, title=title, audience=other))
            colds, rerenders, changed = [], [], 0
            for _ in range(runs):
                RenderedChunk.objects.all().delete()
                cold_id = queue_report(department, title=title, audience=audience)
                colds.append(round(render_through_workers(cold_id), 3))
                changed = change_a_tenth(department, run=len(colds))
                again_id = queue_report(department, title=title, audience=audience)
                rerenders.append(round(render_through_workers(again_id), 3))
            return {
                "workers": 2,
                "cold_s": round(statistics.median(colds), 3),
                "rerender_s": round(statistics.median(rerenders), 3),
                "cold_runs_s": colds,
                "rerender_runs_s": rerenders,
                "pages": Report.objects.get(pk=cold_id).page_count,
                "pages_rerender": Report.objects.get(pk=again_id).page_count,
                "cold": parts(cold_id),
                "rerender": parts(again_id),
                "projects_changed": changed,
                "peak_rss_mb": fleet.peak_rss_mb(),
            }
    except RuntimeError as exc:
        return {"error": str(exc)[-1500:]}


def department_snapshot(department, audience: str) -> dict[str, object]:
    """The snapshot of ``department``'s portfolio report for ``audience``, as of today."""
    from django.utils import timezone

    from reports.snapshot import report_build_snapshot

    return report_build_snapshot(
        kind="portfolio",
        audience=audience,
        scope="department",
        department=department,
        period_start=None,
        period_end=timezone.localdate(),
        title=f"{department.name}: portfolio report (benchmark)",
    )


def single_pass(department_code: str, audience: str) -> dict[str, object]:
    """One single-pass render of the department's report in this fresh process (``--single-pass CODE``):
    nothing laid out before it (fonts, print.css, templates all cold). Seconds (the render alone, not the
    snapshot), pages, peak RSS."""

    from reports.rendering import report_render_snapshot
    from teams.models import Department

    department = Department.objects.get(code=department_code)
    snapshot = department_snapshot(department, audience)
    started = time.perf_counter()
    rendered = report_render_snapshot(snapshot, chunked=False)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "pages": rendered.page_count, "peak_rss_mb": peak_rss_mb()}


def single_passes(department_code: str, audience: str, runs: int) -> list[dict[str, object]]:
    """:func:`single_pass` in ``runs`` new processes, one after another; their JSON answers."""
    answers = []
    for _ in range(runs):
        command = [sys.executable, __file__, "--single-pass", department_code, "--audience", audience]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"A single-pass render failed: {result.stderr[-1500:]}")
        answers.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return answers


def json_figures(department, audience: str, runs: int) -> dict[str, object]:
    """APM, plain WeasyPrint and Chromium on ``department``'s portfolio report (see the module's docstring)."""

    from reports.rendering import report_render_snapshot

    load_before = os.getloadavg()
    snapshot = department_snapshot(department, audience)
    rendered = report_render_snapshot(snapshot, chunked=False)  # the HTML the others lay out
    singles = single_passes(department.code, audience, runs)
    single_runs = [round(float(answer["seconds"]), 3) for answer in singles]
    apm_single = statistics.median(single_runs)
    apm_rss = max(float(answer["peak_rss_mb"]) for answer in singles)
    chunked = chunked_figures(department, audience, runs)

    folder = Path(tempfile.mkdtemp(prefix="apm-bench-json-"))
    try:
        html_path = folder / "report.html"
        html_path.write_text(with_file_links(rendered.html), "utf-8")
        plain = run_child("plain", html_path)
        cold = run_child("chromium-cold", html_path) if CHROMIUM.exists() else {"error": "no /usr/bin/chromium"}
        warm = run_child("chromium-warm", html_path) if CHROMIUM.exists() else {"error": "no /usr/bin/chromium"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def seconds(measured: dict[str, object]) -> float | None:
        value = measured.get("seconds")
        return round(value, 3) if isinstance(value, float) else None

    figures: dict[str, object] = {
        "department": department.code,
        "projects": department.n,
        "audience": audience,
        "pages": rendered.page_count,
        "apm_single_s": round(apm_single, 3),
        "apm_single_runs_s": single_runs,
        "runs": runs,
        "apm_cold_s": chunked.get("cold_s"),
        "apm_rerender_s": chunked.get("rerender_s"),
        "chunked": chunked,
        "plain_weasyprint_s": seconds(plain),
        "chromium_cold_s": seconds(cold),
        "chromium_warm_s": seconds(warm),
        "chromium_warm_up_s": round(warm["warm_up_s"], 3) if isinstance(warm.get("warm_up_s"), float) else None,
        "pages_other": {"plain_weasyprint": plain.get("pages"), "chromium_cold": cold.get("pages"),
                        "chromium_warm": warm.get("pages")},
        "peak_rss_mb": {"apm_single": apm_rss, "apm_worker": chunked.get("peak_rss_mb"),
                        "plain_weasyprint": plain.get("peak_rss_mb"),
                        "chromium_cold": cold.get("peak_rss_mb"), "chromium_warm": warm.get("peak_rss_mb")},
        "load_avg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "cpus": os.cpu_count(),
    }  # fmt: skip
    apm_s = figures["apm_single_s"]
    figures["ratios"] = {
        "apm_single_over_plain_weasyprint": ratio(apm_s, figures["plain_weasyprint_s"]),
        "apm_single_over_chromium_cold": ratio(apm_s, figures["chromium_cold_s"]),
        "apm_single_over_chromium_warm": ratio(apm_s, figures["chromium_warm_s"]),
        "apm_cold_over_apm_single": ratio(figures["apm_cold_s"], apm_s),
        "apm_rerender_over_apm_single": ratio(figures["apm_rerender_s"], apm_s),
    }
    errors = {name: m["error"] for name, m in (("plain", plain), ("chromium_cold", cold), ("chromium_warm", warm))
              if "error" in m}  # fmt: skip
    if "error" in chunked:
        errors["chunked"] = chunked["error"]
    figures["notes"] = [f"{name} failed: {error}" for name, error in errors.items()]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--department", help="Department code (default: the one with the most projects).")
    parser.add_argument("--audience", default="internal", choices=["internal", "client"])
    parser.add_argument(
        "--repeat",
        type=int,
        help="Timed renders after the first (default 3); with --json, the single passes and the cold and "
        "re-render pairs whose medians are given (default 5).",
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--single-pass", help=argparse.SUPPRESS)
    parser.add_argument("--html", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeat = 3 if args.repeat is None else args.repeat  # the timed renders without --json
    if args.child:
        print(json.dumps(child_measure(args.child, args.html)))
        return 0

    if args.single_pass:
        setup_django()
        print(json.dumps(single_pass(args.single_pass, args.audience)))
        return 0

    if args.json and not os.environ.get(TEMP_DB_FLAG):
        # The chunked figures write (reports, a tenth of the projects' status updates): never to your database.
        return rerun_with_temp_db(sys.argv[1:])
    setup_django()
    if project_count() == 0:
        if os.environ.get(TEMP_DB_FLAG):
            import_real_data()
        else:
            print("The configured database holds no projects.", file=sys.stderr, flush=True)
            return rerun_with_temp_db(sys.argv[1:])

    from django.db.models import Count

    from reports.rendering import report_render_snapshot
    from teams.models import Department

    departments = Department.objects.annotate(n=Count("projects"))
    department = (
        departments.filter(code__iexact=args.department).first()
        if args.department
        else departments.order_by("-n", "code").first()
    )
    if department is None:
        print(f"No department {args.department!r}.", file=sys.stderr)
        return 2
    if args.json:
        runs = 5 if args.repeat is None else max(args.repeat, 1)
        print(json.dumps(json_figures(department, args.audience, runs), indent=2))
        return 0

    started = time.perf_counter()
    snapshot = department_snapshot(department, args.audience)
    snapshot_seconds = time.perf_counter() - started

    timings = []
    rendered = None
    for _ in range(1 + max(repeat, 0)):
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
    for _ in range(max(repeat, 1)):
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
