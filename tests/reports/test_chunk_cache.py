"""The chunk cache: a part of a large report is laid out again exactly when something its pages show changed.

The key (``reports.chunk_cache.chunk_key``) is checked input by input; then
the department of ``tests/reports/large_reports.py`` is rendered through the
services (render, parts, assembly, run in-process) several times, counting
the chunks ``reports.services.chunking`` lays out, and the PDFs are read back
to text. A client render after an internal one shares no entry with it and
shows none of the planted money; a corrupt entry is laid out again; pruning
keeps the cache under its limit.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
import shutil

import pytest

from reports import chunk_cache
from reports.chunk_cache import cache_get, cache_prune, canonical_json, chunk_key
from reports.models import RenderedChunk, ReportChunk, ReportStatus
from reports.rendering import report_render_snapshot
from reports.services import report_render
from reports.task_names import ASSEMBLE_REPORT
from tests.apm.access.test_money_sentinels import leaks, pdf_text
from tests.reports.large_reports import (
    BY_WEIGHT,
    CLIENT_PART_SECTIONS,
    PART_SECTIONS,
    PROJECTS,
    Broker,
    Layouts,
    big_department,
    big_report,
    big_schedule,
    pdf_of,
    texts,
)
from tests.reports.scheduled import NOW

pytestmark = pytest.mark.django_db

ROWS = [
    {"code": "BIG-00", "name": "Programme 0", "rag": "red", "commentary_overall": "Late."},
    {"code": "BIG-01", "name": "Programme 1", "rag": "green", "commentary_overall": "On track."},
]
SECTIONS = [
    {
        "id": "commentary-0",
        "template": "reports/pdf/sections/commentary.html",
        "context": {"rows": ROWS, "internal": True, "first": True},
        "starts_page": True,
        "anchors": [["sec-commentary", "Latest commentary"]],
        "weight": 2.0,
    }
]


def key(**changes):
    arguments = {"kind": "portfolio", "audience": "internal", "title": "Big report", "sections": SECTIONS} | changes
    return chunk_key(arguments["kind"], arguments["audience"], arguments["title"], arguments["sections"])


def test_it_keys_a_chunk_by_every_input_of_its_layout(monkeypatch):
    base = key()
    changed_row = copy.deepcopy(SECTIONS)
    changed_row[0]["context"]["rows"][1]["commentary_overall"] = "On track!"
    changed_page_break = copy.deepcopy(SECTIONS)
    changed_page_break[0]["starts_page"] = False
    others = [
        key(kind="highlight"),
        key(audience="client"),
        key(title=""),
        key(sections=changed_row),
        key(sections=changed_page_break),
    ]
    assert len({base, *others}) == len(others) + 1
    # Canonical JSON: the same data in another order, or read back from the database, is the same key.
    reordered = [
        dict(reversed(list(SECTIONS[0].items())))
        | {"context": {"first": True, "internal": True, "rows": [dict(reversed(list(row.items()))) for row in ROWS]}}
    ]
    assert canonical_json(reordered) == canonical_json(SECTIONS)
    assert key(sections=reordered) == base
    assert key(sections=copy.deepcopy(SECTIONS)) == base
    # The libraries and fonts.
    monkeypatch.setattr(chunk_cache, "environment_digest", lambda: "another WeasyPrint or another font")
    assert key() != base


def test_it_keys_a_chunk_by_the_content_of_the_print_templates(settings, tmp_path):
    shutil.copytree(settings.BASE_DIR / "templates" / "reports" / "pdf", tmp_path / "templates" / "reports" / "pdf")
    settings.BASE_DIR = tmp_path
    base = key()
    template = tmp_path / "templates" / "reports" / "pdf" / "sections" / "commentary.html"
    original = template.read_text()
    template.write_text(original + "\n{# a changed template #}\n")
    changed = key()
    assert changed != base
    # Its content counts, not its modification time: written back as it was, it is the old key again.
    template.write_text(original)
    assert key() == base


def test_it_keys_a_chunk_by_the_renderer_version(monkeypatch):
    base = key()
    monkeypatch.setattr(chunk_cache, "RENDERER_VERSION", "changed layout code")
    chunk_cache.environment_digest.cache_clear()
    try:
        assert key() != base
    finally:
        monkeypatch.undo()
        chunk_cache.environment_digest.cache_clear()
    assert key() == base


@pytest.fixture
def big(settings, travel):
    """The department of large_reports.py, chunked (in the four parts of large_reports.py, cut as a large
    report is)."""
    settings.APM_REPORT_CHUNK_ABOVE = PROJECTS - 1
    settings.APM_REPORT_MIN_PARTS = 1
    return big_department()


@pytest.fixture
def broker(published, django_capture_on_commit_callbacks):
    return Broker(published, django_capture_on_commit_callbacks)


def test_it_lays_out_again_only_the_parts_whose_data_changed(big, broker, monkeypatch):
    layouts = Layouts(monkeypatch)
    schedule = big_schedule(big["department"])
    first = broker.render(big_report(schedule, week=0))
    assert first.status == ReportStatus.RENDERED
    # Every part, heaviest first, then the contents.
    assert layouts.sections() == [*BY_WEIGHT, ["contents"]]

    # The same data a week later: only the summary, whose "What changed" now compares with the first report.
    layouts.clear()
    second = broker.render(big_report(schedule, week=1))
    assert layouts.sections() == [["summary"]]
    first_pages, second_pages = texts(pdf_of(first)), texts(pdf_of(second))
    assert "First report in this series" in first_pages[0]
    assert "No RAG changes since the last report" in second_pages[0]
    assert second_pages[1:] == first_pages[1:]

    # Again: nothing changed at all, nothing is laid out, the same text on every page.
    layouts.clear()
    third = broker.render(big_report(schedule, week=2))
    assert layouts.sections() == []
    assert texts(pdf_of(third)) == second_pages

    # One project's commentary: its part alone (BIG-11, in the commentary of the last three projects, which
    # shares its part with that of the five before them).
    status = big["projects"][11].status_updates.get()
    status.commentary_overall = "Integration tests moved to May; the supplier confirmed the new dates."
    status.save()
    layouts.clear()
    fourth = broker.render(big_report(schedule, week=3))
    assert layouts.sections() == [["commentary-1", "commentary-2"]] == [PART_SECTIONS[4]]
    fourth_pages = texts(pdf_of(fourth))
    assert "the supplier confirmed the new dates" in "".join(fourth_pages)
    assert fourth_pages == texts(report_render_snapshot(fourth.snapshot, chunked=False).pdf)

    # A red project's name: the table, the margin table, its commentary and the summary (which names the red
    # projects), heaviest first.
    project = big["projects"][3]
    assert project.rag == "red"
    project.name = "Programme Three"
    project.save()
    layouts.clear()
    fifth = broker.render(big_report(schedule, week=4))
    assert (
        layouts.sections()
        == [["projects-0", "compliance"], ["margins-0"], ["commentary-0"], ["summary"]]
        == BY_WEIGHT[1:]
    )
    fifth_pages = texts(pdf_of(fifth))
    assert fifth_pages == texts(report_render_snapshot(fifth.snapshot, chunked=False).pdf)
    assert "Programme Three" in fifth_pages[0]
    assert fifth.status == ReportStatus.RENDERED


def test_it_never_shares_a_part_between_audiences(big, broker, monkeypatch):
    layouts = Layouts(monkeypatch)
    keys, laid_out, pdfs = {}, {}, {}
    for audience in ("internal", "client"):
        report = big_report(big_schedule(big["department"], audience=audience))
        layouts.clear()
        broker.call(report_render, report_id=report.pk)
        parts = set(ReportChunk.objects.filter(report=report).values_list("key", flat=True))
        assert len(parts) == len(PART_SECTIONS if audience == "internal" else CLIENT_PART_SECTIONS)
        broker.run()
        report.refresh_from_db()
        assert report.status == ReportStatus.RENDERED
        keys[audience] = parts | {plan.key for plan in layouts.plans}
        laid_out[audience] = layouts.sections()
        pdfs[audience] = pdf_of(report)
    assert keys["internal"].isdisjoint(keys["client"])
    # The client's report laid out every part itself: it found nothing of the internal one (it has no
    # compliance appendix and no margin table, internal only, and too few pages for a contents). Each lays its
    # parts out heaviest first (the client's table, without the appendix, still outweighs five projects'
    # commentary).
    assert laid_out["internal"] == [*BY_WEIGHT, ["contents"]]
    assert laid_out["client"] == [["commentary-1", "commentary-2"], ["projects-0"], ["commentary-0"], ["summary"]]
    # Each audience's parts and contents, and one running header: title and date, the same for both (the
    # footer, audience line and page numbers, is put together from pieces laid out once per process).
    assert RenderedChunk.objects.count() == len(laid_out["internal"]) + len(laid_out["client"]) + 1
    client_text = pdf_text(pdfs["client"])
    assert "Prepared for the client" in client_text
    assert f"Programme {PROJECTS - 1}" in client_text
    assert leaks(client_text) == []
    # The search would have found them: the internal report shows those planted on every project's row.
    assert {"bac", "budget_period", "forecast_period"} <= set(leaks(pdf_text(pdfs["internal"])))


def test_it_drops_a_corrupt_entry_and_lays_the_part_out_again(big, broker, monkeypatch, caplog):
    layouts = Layouts(monkeypatch)
    schedule = big_schedule(big["department"])
    broker.render(big_report(schedule, week=0))
    [commentary] = [plan for plan in layouts.plans if plan.sections[0]["id"] == "commentary-0"]
    entry = RenderedChunk.objects.get(key=commentary.key)
    pdf = bytearray(entry.pdf)
    pdf[len(pdf) // 2] ^= 0xFF  # one byte changed: the same size, still "%PDF-" first
    RenderedChunk.objects.filter(pk=entry.pk).update(pdf=bytes(pdf))

    layouts.clear()
    with caplog.at_level(logging.WARNING, logger="reports.chunk_cache"):
        report = broker.render(big_report(schedule, week=1))
    # The summary changed (it compares with the first report); the corrupt part was found at the assembly,
    # dropped, queued again and laid out again.
    assert layouts.sections() == [["summary"], ["commentary-0"]]
    assert f"Chunk cache entry {commentary.key[:12]} is corrupt" in caplog.text
    assert [name for name, _args in broker.published].count(ASSEMBLE_REPORT) == 3
    assert report.status == ReportStatus.RENDERED
    assert texts(pdf_of(report)) == texts(report_render_snapshot(report.snapshot, chunked=False).pdf)
    entry = RenderedChunk.objects.get(key=commentary.key)
    assert hashlib.sha256(bytes(entry.pdf)).hexdigest() == entry.sha256
    assert cache_get(commentary.key) is not None


def test_it_drops_a_corrupt_entry_on_read(db, travel):
    entry = RenderedChunk.objects.create(
        key="k" * 64, pdf=b"%PDF-1.7 tampered", sha256=hashlib.sha256(b"%PDF-1.7 original").hexdigest(), size=17,
        pages=1, used_at=NOW,
    )  # fmt: skip
    assert cache_get(entry.key) is None
    assert not RenderedChunk.objects.filter(pk=entry.pk).exists()
    assert cache_get("unknown") is None


def entry(name: str, size: int, minutes_ago: int) -> RenderedChunk:
    pdf = b"%PDF-" + name.encode().ljust(size - 5, b"x")
    return RenderedChunk.objects.create(
        key=name, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), pages=1,
        used_at=NOW - dt.timedelta(minutes=minutes_ago),
    )  # fmt: skip


def stored() -> dict[str, int]:
    return dict(RenderedChunk.objects.order_by("key").values_list("key", "size"))


def test_it_prunes_the_least_recently_used_entries_to_the_limit_but_never_those_kept(db, travel, settings):
    for name, minutes_ago in (("a", 50), ("b", 40), ("c", 30), ("d", 20), ("e", 10)):
        entry(name, 100, minutes_ago)
    assert cache_prune(max_bytes=500) == 0
    assert cache_prune(max_bytes=350) == 2
    assert stored() == {"c": 100, "d": 100, "e": 100}

    # A cache hit makes an entry the most recently used (a minute later: hits within a minute are not written).
    entry("a", 100, 60)
    entry("b", 100, 60)
    settings.APM_REPORT_CHUNK_CACHE_MB = 1
    assert cache_prune() == 0  # 500 bytes are well under 1 MB
    travel.shift(dt.timedelta(minutes=2))
    assert cache_get("c") is not None
    # The oldest, "a", is kept (a report being rendered needs it) and counts towards the limit: "c" (just
    # used), then "e"; "d" and "b" go.
    assert cache_prune(keep=["a"], max_bytes=300) == 2
    assert stored() == {"a": 100, "c": 100, "e": 100}
    assert sum(stored().values()) <= 300

    # Entries kept that alone exceed the limit: everything else goes, they stay.
    entry("big", 400, 0)
    assert cache_prune(keep=["big", "a"], max_bytes=300) == 2
    assert stored() == {"a": 100, "big": 400}
