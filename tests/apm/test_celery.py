"""The Celery app: its worker settings, and garbage collected after each report render that laid a page out."""

from __future__ import annotations

import gc
from types import SimpleNamespace

from django.conf import settings

import reports.task_names
from apm.celery import app, collect_garbage_after_render
from apm.pdf import gc_paused

RENDER_REPORT = reports.task_names.RENDER_REPORT


def test_it_replaces_a_child_past_its_memory_limit():
    assert settings.APM_WORKER_MAX_MEMORY_MB == 600
    assert app.conf.worker_max_memory_per_child == 600 * 1024  # KiB


def test_it_collects_the_garbage_after_a_report_render_that_laid_something_out(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args) or 0)
    rendered = SimpleNamespace(status="rendered", next_attempt_at=None)

    def lays_out(*, report_id):
        with gc_paused():  # what every layout runs in
            pass
        return rendered

    monkeypatch.setattr("reports.tasks.report_render", lays_out)
    assert app.tasks[RENDER_REPORT].apply(args=[7]).get() == "rendered"
    assert calls == [()]

    # The same task again, laying nothing out (its report taken by another worker): nothing to collect.
    monkeypatch.setattr("reports.tasks.report_render", lambda *, report_id: rendered)
    assert app.tasks[RENDER_REPORT].apply(args=[7]).get() == "rendered"
    assert calls == [()]


def test_it_leaves_the_garbage_after_other_tasks(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args) or 0)
    with gc_paused():
        pass

    collect_garbage_after_render(sender=app.tasks[reports.task_names.DISPATCH_DUE_REPORTS])
    collect_garbage_after_render(sender=None)

    assert calls == []


def test_every_render_task_of_the_reports_app_collects_after_it():
    """A new render task (a chunk, an assembly) is named here, or its garbage waits for the next task."""
    names = {
        value
        for name, value in vars(reports.task_names).items()
        if name.isupper() and isinstance(value, str) and value.startswith("reports.tasks.")
    }
    periodic = {name for name in names if name.split(".")[-1].startswith(("dispatch_", "sweep_"))}
    assert RENDER_REPORT in names - periodic
    assert names - periodic <= settings.APM_GC_COLLECT_AFTER_TASKS
    assert set(app.tasks) >= settings.APM_GC_COLLECT_AFTER_TASKS
