"""A large report laid out in parts by the workers: each part once, the assembly once, the emails once.

The department of ``tests/reports/large_reports.py`` is chunked (``APM_REPORT_CHUNK_ABOVE`` below its
size); the tasks are captured as published (``apm.queueing.publish``) and run by calling their services.
The parts are taken heaviest first (``reports.services.chunking.HEAVIEST_FIRST``; their order is
``BY_WEIGHT``): the render task lays out the heaviest itself and publishes the others' tasks. A task that has
laid out its part goes on with the heaviest queued one for ``APM_REPORT_PART_SECONDS``: most tests set it to
0, so that every part after the render task's is handed over as a message, as it is on a busy fleet; the
second test lets one process do it all.
Failures are injected by making the layout raise; lost messages and dead workers by moving time with
time-machine and leaving rows behind; the sweeper must pick them up.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm.outbox.models import OutboundEmail
from reports.models import ChunkStatus, Delivery, RenderedChunk, Report, ReportChunk, ReportStatus
from reports.rendering import report_render_snapshot
from reports.services import chunking, report_assemble, report_chunk_render, report_render, reports_sweep
from reports.task_names import ASSEMBLE_REPORT, RENDER_REPORT_CHUNK
from tests.reports.large_reports import (
    BY_WEIGHT,
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]


@pytest.fixture
def big(settings, travel):
    """The department of large_reports.py, chunked, and a queued internal report of it (to its head and an
    extra address). A task lays out one part and hands the next over as a message."""
    settings.APM_REPORT_CHUNK_ABOVE = PROJECTS - 1
    settings.APM_REPORT_MIN_PARTS = 1  # cut as a large report is: the four parts of large_reports.py
    settings.APM_REPORT_PART_SECONDS = 0
    world = big_department()
    schedule = big_schedule(world["department"])
    schedule.extra_recipients = "boss@example.com"
    schedule.save()
    return world | {"report": big_report(schedule)}


@pytest.fixture
def broker(published, django_capture_on_commit_callbacks):
    return Broker(published, django_capture_on_commit_callbacks)


@pytest.fixture
def head_emails(big):
    return sorted([big["head"].email, "boss@example.com"])


def parts(report: Report) -> list[ReportChunk]:
    return list(ReportChunk.objects.filter(report=report).order_by("index"))


def sections_of(row: ReportChunk) -> list[str]:
    return [section["id"] for section in row.sections]


def by_weight(report: Report) -> list[ReportChunk]:
    """The parts of ``report`` in the order they are laid out (:data:`BY_WEIGHT`, the heaviest first); only
    until the assembly, which empties their sections."""
    return sorted(parts(report), key=lambda row: BY_WEIGHT.index(sections_of(row)))


def left_to_the_workers(report: Report) -> list[ReportChunk]:
    """The parts of ``report`` still queued (those the render task did not lay out), heaviest first."""
    return [row for row in by_weight(report) if row.status == ChunkStatus.QUEUED]


def lay_out_every_part_and_lose_the_assembly(broker: Broker, report: Report, monkeypatch) -> None:
    """Every part of ``report`` laid out; the worker of the last is lost before it assembles (its on-the-spot
    assembly skipped) and the assembly's message with it."""
    with monkeypatch.context() as patch:
        patch.setattr(chunking, "report_assemble", lambda *, report_id: None)
        for row in left_to_the_workers(report):
            broker.call(report_chunk_render, chunk_id=row.pk)
    assert [(name, args) for name, args in broker.pending(ASSEMBLE_REPORT)] == [(ASSEMBLE_REPORT, (report.pk,))]
    assert {row.status for row in parts(report)} == {ChunkStatus.DONE}
    broker.done = len(broker.published)


def test_it_hands_a_large_report_to_the_workers_in_parts(big, broker, monkeypatch, django_capture_on_commit_callbacks):
    layouts = Layouts(monkeypatch)
    with django_capture_on_commit_callbacks() as callbacks:
        report = report_render(report_id=big["report"].pk)

    assert report.status == ReportStatus.CHUNKING
    assert report.tries == 0
    assert report.queued_at == NOW
    assert [row["code"] for row in report.snapshot["projects"]] == [f"BIG-{n:02d}" for n in range(PROJECTS)]
    rows = parts(report)
    assert [[section["id"] for section in row.sections] for row in rows] == PART_SECTIONS
    assert [row.title for row in rows] == [report.title, "", "", "", ""]
    # Each part weighs its sections: the summary 4, the table of 13 rows (1 + 0.4 a row) with the compliance
    # appendix (0.5, no project in it), the margin table of 13 rows, five projects' commentary, eight projects'
    # (two sections).
    assert [row.weight for row in rows] == pytest.approx([4.0, 6.7, 6.2, 5.0, 8.0])
    heaviest, *others = ordered = by_weight(report)
    assert [row.weight for row in ordered] == sorted((row.weight for row in rows), reverse=True)
    # The render task laid out the heaviest part itself; the others wait for the workers.
    assert layouts.sections() == [BY_WEIGHT[0]] == [sections_of(heaviest)]
    assert [(row.status, row.tries, row.cached) for row in ordered] == [(ChunkStatus.DONE, 1, False)] + [
        (ChunkStatus.QUEUED, 0, False)
    ] * 4
    assert RenderedChunk.objects.filter(key=heaviest.key).exists()
    # Its time was up (APM_REPORT_PART_SECONDS): it handed the next heaviest part (the table) over, once the
    # parts were committed.
    assert sections_of(others[0]) == PART_SECTIONS[1]
    assert broker.published == [(RENDER_REPORT_CHUNK, (others[0].pk,))]

    # A task per other part, heaviest first, on the planning's commit (APM_REPORT_PARALLEL_PARTS is more than
    # the parts).
    for callback in callbacks:
        callback()
    assert broker.published[1:] == [(RENDER_REPORT_CHUNK, (row.pk,)) for row in others]


def test_it_lays_out_every_part_and_assembles_in_one_task_while_its_time_lasts(big, broker, monkeypatch, settings):
    settings.APM_REPORT_PART_SECONDS = 600
    layouts = Layouts(monkeypatch)
    report = broker.call(report_render, report_id=big["report"].pk)
    assert report.status == ReportStatus.RENDERED
    # Heaviest first, then the contents at the assembly.
    assert layouts.sections() == [*BY_WEIGHT, ["contents"]]
    assert Delivery.objects.filter(report=report).count() == 2
    # The messages published on the way find their work done.
    assert [name for name, _args in broker.pending()].count(ASSEMBLE_REPORT) == 1
    broker.run()
    assert layouts.sections() == [*BY_WEIGHT, ["contents"]]
    assert Report.objects.get(pk=report.pk).sha256 == report.sha256
    assert Delivery.objects.count() == 2


def test_it_assembles_once_after_the_last_part_and_delivers_once(big, broker, head_emails):
    broker.call(report_render, report_id=big["report"].pk)
    chunk_ids = [row.pk for row in left_to_the_workers(big["report"])]
    assert len(chunk_ids) == 4
    broker.done = len(broker.published)
    for chunk_id in chunk_ids[:-1]:
        assert broker.call(report_chunk_render, chunk_id=chunk_id).status == ChunkStatus.DONE
        assert broker.pending(ASSEMBLE_REPORT) == []
        assert Report.objects.get(pk=big["report"].pk).status == ReportStatus.CHUNKING
    # The last part publishes the assembly, and its worker, free, assembles the report at once; it does not
    # write the snapshot again (stored with the parts: tens of MB of JSON for thousands of projects).
    stored = Report.objects.get(pk=big["report"].pk).snapshot
    with CaptureQueriesContext(connection) as queries:
        assert broker.call(report_chunk_render, chunk_id=chunk_ids[-1]).status == ChunkStatus.DONE
    report_writes = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "reports_report"')]
    assert any('"sha256"' in sql for sql in report_writes)  # the finishing write is among them
    assert not any('"snapshot"' in sql for sql in report_writes)
    assert Report.objects.get(pk=big["report"].pk).snapshot == stored
    assert broker.pending(ASSEMBLE_REPORT) == [(ASSEMBLE_REPORT, (big["report"].pk,))]
    report = Report.objects.get(pk=big["report"].pk)
    assert report.status == ReportStatus.RENDERED
    assert report.tries == 1
    assert report.rendered_at == NOW
    pdf = pdf_of(report)
    assert pdf.startswith(b"%PDF")
    assert report.sha256 == hashlib.sha256(pdf).hexdigest()
    assert report.page_count == len(texts(pdf)) > 5
    # The parts stay, for their counts, without their inputs (the snapshot holds them).
    assert [(row.status, row.tries, row.sections) for row in parts(report)] == [(ChunkStatus.DONE, 1, [])] * 5
    deliveries = list(Delivery.objects.filter(report=report).order_by("email_address"))
    assert [d.email_address for d in deliveries] == head_emails
    emails = list(OutboundEmail.objects.filter(delivery__report=report))
    assert len(emails) == 2
    assert sorted(args[0] for _name, args in broker.pending("apm.outbox.tasks.send_email")) == sorted(
        email.pk for email in emails
    )

    # The assembly's message, and a part's, delivered (again): nothing changes, no second email.
    broker.done = len(broker.published)
    again = broker.call(report_assemble, report_id=report.pk)
    assert (again.status, again.tries, again.sha256) == (ReportStatus.RENDERED, 1, report.sha256)
    assert broker.call(report_chunk_render, chunk_id=chunk_ids[0]).tries == 1
    assert broker.pending() == []
    assert Delivery.objects.count() == 2
    assert OutboundEmail.objects.count() == 2

    # The same text on every page as a single pass over the stored snapshot.
    assert texts(pdf) == texts(report_render_snapshot(report.snapshot, chunked=False).pdf)


def test_it_retries_a_failing_part_with_backoff_then_fails_it_and_the_report(big, broker, monkeypatch, settings):
    settings.APM_MAX_TRIES = 2
    Layouts(monkeypatch, fail=lambda plan: plan.sections[0]["id"] == "commentary-0")
    broker.call(report_render, report_id=big["report"].pk)
    # The parts the render task left, heaviest first: the table, the margin table, five projects' commentary,
    # the summary.
    table, margins, commentary, summary = left_to_the_workers(big["report"])
    assert [sections_of(row) for row in (table, margins, commentary, summary)] == BY_WEIGHT[1:]
    table, margins, commentary, summary = table.pk, margins.pk, commentary.pk, summary.pk
    broker.done = len(broker.published)

    part = broker.call(report_chunk_render, chunk_id=commentary)
    assert (part.status, part.tries) == (ChunkStatus.QUEUED, 1)
    assert part.last_error == "RuntimeError: Pango ran out of glyphs"
    assert part.next_attempt_at == NOW + dt.timedelta(seconds=30)
    assert part.queued_at == NOW
    # Its task is published again for when its backoff has passed (no waiting for the sweeper).
    assert broker.pending(RENDER_REPORT_CHUNK) == [(RENDER_REPORT_CHUNK, (commentary,))]
    broker.done = len(broker.published)
    # Before its backoff has passed a redelivered message claims nothing.
    assert broker.call(report_chunk_render, chunk_id=commentary).tries == 1
    for chunk_id in (table, margins, summary):
        assert broker.call(report_chunk_render, chunk_id=chunk_id).status == ChunkStatus.DONE
    assert [row.pk for row in parts(big["report"]) if row.status != ChunkStatus.DONE] == [commentary]
    assert broker.pending(ASSEMBLE_REPORT) == []  # a part is not done: no assembly
    assert Report.objects.get(pk=big["report"].pk).status == ReportStatus.CHUNKING

    with time_machine.travel(part.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        part = broker.call(report_chunk_render, chunk_id=commentary)
    assert (part.status, part.tries) == (ChunkStatus.FAILED, 2)
    assert part.last_error == "RuntimeError: Pango ran out of glyphs"
    report = Report.objects.get(pk=big["report"].pk)
    assert report.status == ReportStatus.FAILED
    assert report.last_error == (
        "Part 4 of the report could not be laid out after 2 tries: RuntimeError: Pango ran out of glyphs"
    )
    assert report.next_attempt_at is None
    assert broker.pending(ASSEMBLE_REPORT) == []
    assert Delivery.objects.count() == 0
    assert report_assemble(report_id=report.pk).status == ReportStatus.FAILED


def test_it_lays_out_again_a_part_the_cache_lost_before_the_assembly(big, broker, monkeypatch):
    layouts = Layouts(monkeypatch)
    broker.call(report_render, report_id=big["report"].pk)
    # The parts the render task left, heaviest first: the table, the margin table, five projects' commentary
    # (lost), the summary.
    table, margins, lost, last = left_to_the_workers(big["report"])
    assert [sections_of(row) for row in (table, margins, lost, last)] == BY_WEIGHT[1:]
    broker.done = len(broker.published)
    for row in (table, margins, lost):
        broker.call(report_chunk_render, chunk_id=row.pk)
    lost.refresh_from_db()
    RenderedChunk.objects.filter(key=lost.key).delete()  # pruned, say
    broker.done = len(broker.published)

    # The last part's worker assembles, finds the part gone, and queues it again.
    broker.call(report_chunk_render, chunk_id=last.pk)
    report = Report.objects.get(pk=big["report"].pk)
    assert report.status == ReportStatus.CHUNKING
    assert report.tries == 0  # not a failed try
    lost.refresh_from_db()
    assert (lost.status, lost.tries, lost.next_attempt_at) == (ChunkStatus.QUEUED, 0, None)
    assert [row.status for row in parts(report)] == [ChunkStatus.DONE] * 3 + [ChunkStatus.QUEUED, ChunkStatus.DONE]
    assert broker.pending() == [(ASSEMBLE_REPORT, (report.pk,)), (RENDER_REPORT_CHUNK, (lost.pk,))]

    layouts.clear()
    broker.run()
    report.refresh_from_db()
    # The lost part, then the contents (the first assembly stopped before it).
    assert layouts.sections() == [PART_SECTIONS[3], ["contents"]]
    assert report.status == ReportStatus.RENDERED
    assert Delivery.objects.filter(report=report).count() == 2
    assert texts(pdf_of(report)) == texts(report_render_snapshot(report.snapshot, chunked=False).pdf)


def test_it_lays_out_again_a_part_laid_out_by_other_code_before_the_assembly(big, broker, monkeypatch):
    """A deploy between a part's layout and the assembly: the part is stored under the key the old code gave
    it (its IDs, say, named otherwise); the assembly lays it out again rather than merge it with the others."""
    layouts = Layouts(monkeypatch)
    broker.call(report_render, report_id=big["report"].pk)
    table, margins, old, last = left_to_the_workers(big["report"])
    broker.done = len(broker.published)
    for row in (table, margins, old):
        broker.call(report_chunk_render, chunk_id=row.pk)
    old.refresh_from_db()
    current = old.key
    RenderedChunk.objects.filter(key=current).update(key="0" * 64)
    ReportChunk.objects.filter(pk=old.pk).update(key="0" * 64)
    broker.done = len(broker.published)

    broker.call(report_chunk_render, chunk_id=last.pk)
    report = Report.objects.get(pk=big["report"].pk)
    assert (report.status, report.tries) == (ReportStatus.CHUNKING, 0)
    old.refresh_from_db()
    assert old.status == ChunkStatus.QUEUED

    layouts.clear()
    broker.run()
    report.refresh_from_db()
    assert layouts.sections() == [PART_SECTIONS[3], ["contents"]]
    assert report.status == ReportStatus.RENDERED
    old.refresh_from_db()
    assert old.key == current
    assert texts(pdf_of(report)) == texts(report_render_snapshot(report.snapshot, chunked=False).pdf)


def later(settings, what: str) -> dt.datetime:
    return NOW + dt.timedelta(seconds=getattr(settings, f"APM_{what}_AFTER_SECONDS") + 1)


def test_the_sweeper_publishes_again_the_parts_whose_messages_were_lost(big, broker, settings):
    broker.call(report_render, report_id=big["report"].pk)
    # The four the render task left; the sweeper publishes them in the report's order.
    queued = [row.pk for row in parts(big["report"]) if row.status == ChunkStatus.QUEUED]
    assert sorted(queued) == sorted(row.pk for row in left_to_the_workers(big["report"]))
    assert len(queued) == 4
    broker.done = len(broker.published)  # the broker lost them
    assert reports_sweep(now=NOW) == 0
    when = later(settings, "REQUEUE")
    with time_machine.travel(when, tick=False):
        assert reports_sweep(now=when) == 4
        assert broker.pending() == [(RENDER_REPORT_CHUNK, (chunk_id,)) for chunk_id in queued]
        assert {row.queued_at for row in parts(big["report"]) if row.pk in queued} == {when}
        assert reports_sweep(now=when) == 0
        broker.run()
    assert Report.objects.get(pk=big["report"].pk).status == ReportStatus.RENDERED


def test_the_sweeper_takes_over_a_part_whose_worker_died(big, broker, settings):
    settings.APM_MAX_TRIES = 3
    broker.call(report_render, report_id=big["report"].pk)
    # The parts the render task left, heaviest first: the table (whose worker dies), then the others.
    table, *others = left_to_the_workers(big["report"])
    assert sections_of(table) == PART_SECTIONS[1]
    table, others = table.pk, [row.pk for row in others]
    assert len(others) == 3
    for chunk_id in others:
        broker.call(report_chunk_render, chunk_id=chunk_id)
    broker.done = len(broker.published)
    # Its worker died laying it out, on the second try.
    ReportChunk.objects.filter(pk=table).update(status=ChunkStatus.RENDERING, tries=2, started_at=NOW)
    assert reports_sweep(now=NOW) == 0
    assert report_chunk_render(chunk_id=table).status == ChunkStatus.RENDERING  # not stuck yet: not taken
    when = later(settings, "STUCK")
    with time_machine.travel(when, tick=False):
        assert reports_sweep(now=when) == 1
        assert broker.pending() == [(RENDER_REPORT_CHUNK, (table,))]
        broker.run()
    assert ReportChunk.objects.get(pk=table).tries == 3
    report = Report.objects.get(pk=big["report"].pk)
    assert report.status == ReportStatus.RENDERED
    assert [name for name, _args in broker.published].count(ASSEMBLE_REPORT) == 1


def test_the_sweeper_fails_a_part_whose_worker_died_on_the_last_try_and_its_report(big, broker, settings):
    settings.APM_MAX_TRIES = 3
    broker.call(report_render, report_id=big["report"].pk)
    table = parts(big["report"])[1].pk
    broker.done = len(broker.published)
    ReportChunk.objects.filter(pk=table).update(status=ChunkStatus.RENDERING, tries=3, started_at=NOW)
    when = later(settings, "STUCK")
    with time_machine.travel(when, tick=False):
        # Failed, and so is its report: its other parts (whose messages were lost too) are not published again.
        assert reports_sweep(now=when) == 0
        assert broker.pending() == []
        assert report_chunk_render(chunk_id=table).status == ChunkStatus.FAILED
    part = ReportChunk.objects.get(pk=table)
    assert (part.status, part.tries, part.last_error) == (ChunkStatus.FAILED, 3, "Its worker was lost on every try")
    report = Report.objects.get(pk=big["report"].pk)
    assert report.status == ReportStatus.FAILED
    assert report.last_error == (
        "Part 2 of the report could not be laid out after 3 tries: its worker was lost each time"
    )


def test_the_sweeper_publishes_again_an_assembly_whose_message_was_lost(big, broker, settings, monkeypatch):
    broker.call(report_render, report_id=big["report"].pk)
    lay_out_every_part_and_lose_the_assembly(broker, big["report"], monkeypatch)
    assert reports_sweep(now=NOW) == 0
    when = later(settings, "REQUEUE")
    with time_machine.travel(when, tick=False):
        assert reports_sweep(now=when) == 1
        assert broker.pending() == [(ASSEMBLE_REPORT, (big["report"].pk,))]
        assert Report.objects.get(pk=big["report"].pk).queued_at == when
        assert reports_sweep(now=when) == 0
        broker.run()
    assert Report.objects.get(pk=big["report"].pk).status == ReportStatus.RENDERED
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize("tries", [1, 3])
def test_the_sweeper_takes_over_an_assembly_whose_worker_died_or_fails_it_after_the_last_try(
    big, broker, settings, monkeypatch, tries
):
    settings.APM_MAX_TRIES = 3
    broker.call(report_render, report_id=big["report"].pk)
    lay_out_every_part_and_lose_the_assembly(broker, big["report"], monkeypatch)
    Report.objects.filter(pk=big["report"].pk).update(
        status=ReportStatus.ASSEMBLING, tries=tries, render_started_at=NOW
    )
    assert reports_sweep(now=NOW) == 0
    assert report_assemble(report_id=big["report"].pk).status == ReportStatus.ASSEMBLING  # not stuck yet
    when = later(settings, "STUCK")
    with time_machine.travel(when, tick=False):
        report = Report.objects.get(pk=big["report"].pk)
        if tries < settings.APM_MAX_TRIES:
            assert reports_sweep(now=when) == 1
            assert broker.pending() == [(ASSEMBLE_REPORT, (report.pk,))]
            broker.run()
            report.refresh_from_db()
            assert (report.status, report.tries) == (ReportStatus.RENDERED, tries + 1)
            assert Delivery.objects.count() == 2
        else:
            assert reports_sweep(now=when) == 0
            report.refresh_from_db()
            assert report.status == ReportStatus.FAILED
            assert report.last_error == (
                "Its worker was lost while assembling it, on each of 3 tries (killed, or out of memory?)"
            )
            assert report_assemble(report_id=report.pk).status == ReportStatus.FAILED
            assert Delivery.objects.count() == 0


def test_a_redelivered_render_message_does_not_plan_the_parts_again(big, broker):
    broker.call(report_render, report_id=big["report"].pk)
    before = [(row.pk, row.key, row.status) for row in parts(big["report"])]
    broker.done = len(broker.published)
    again = broker.call(report_render, report_id=big["report"].pk)
    assert (again.status, again.tries) == (ReportStatus.CHUNKING, 0)
    assert [(row.pk, row.key, row.status) for row in parts(big["report"])] == before
    assert broker.pending() == []


def test_the_sweeper_fails_a_report_still_chunking_whose_part_failed_for_good(big, broker, settings):
    """The part failed, and its worker died before the report was failed with it: the sweeper fails it."""
    broker.call(report_render, report_id=big["report"].pk)
    table = parts(big["report"])[1].pk
    ReportChunk.objects.filter(pk=table).update(status=ChunkStatus.FAILED, tries=8, last_error="MemoryError: ")
    assert Report.objects.get(pk=big["report"].pk).status == ReportStatus.CHUNKING

    reports_sweep(now=later(settings, "REQUEUE"))

    report = Report.objects.get(pk=big["report"].pk)
    assert report.status == ReportStatus.FAILED
    assert report.last_error == "Part 2 of the report could not be laid out after its last try: MemoryError: "


def test_a_task_whose_part_was_taken_goes_on_with_the_reports_next_part(big, broker, monkeypatch, settings):
    settings.APM_REPORT_PART_SECONDS = 0  # the render task lays out its heaviest part only
    layouts = Layouts(monkeypatch)
    broker.call(report_render, report_id=big["report"].pk)
    # It handed the next heaviest part, the table, over as a message.
    table = ReportChunk.objects.get(pk=broker.published[0][1][0])
    assert sections_of(table) == PART_SECTIONS[1] == BY_WEIGHT[1]
    # Another worker took the table (its task's message is the one delivered here).
    ReportChunk.objects.filter(pk=table.pk).update(status=ChunkStatus.RENDERING, started_at=NOW, tries=1)
    layouts.clear()
    settings.APM_REPORT_PART_SECONDS = 60

    broker.call(report_chunk_render, chunk_id=table.pk)

    # The report's other queued parts, heaviest first: the margin table, five projects' commentary, the summary.
    assert layouts.sections() == [["margins-0"], ["commentary-0"], ["summary"]] == BY_WEIGHT[2:]
    assert [row.status for row in parts(big["report"])] == [ChunkStatus.DONE, ChunkStatus.RENDERING] + [
        ChunkStatus.DONE
    ] * 3
