"""Tasks are published by name: every named task is registered with Celery, publishing sends by name and never
raises, and no services module imports a tasks module (the tasks import the services)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from django.conf import settings

from apm import queueing
from apm.celery import app as celery_app
from apm.outbox import task_names as outbox_task_names
from reports import task_names as report_task_names

ROOT = Path(settings.BASE_DIR)
APPS = ("apm", "projects", "reports", "teams")
NAMES = [
    value
    for module in (report_task_names, outbox_task_names)
    for key, value in vars(module).items()
    if key.isupper() and isinstance(value, str)
]


def test_it_registers_every_named_task_with_celery():
    celery_app.loader.import_default_modules()
    assert len(NAMES) == 7
    for name in NAMES:
        assert name in celery_app.tasks, name
        assert celery_app.tasks[name].name == name


def test_it_publishes_by_name_once_without_waiting(monkeypatch):
    sent = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, **options: sent.append((name, options)))
    assert queueing.publish(report_task_names.RENDER_REPORT, 7, countdown=30) is True
    assert sent == [(report_task_names.RENDER_REPORT, {"args": [7], "countdown": 30, "retry": False})]


def test_it_logs_and_returns_false_when_the_broker_refuses(monkeypatch, caplog):
    def refuse(name, **options):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_app, "send_task", refuse)
    with caplog.at_level(logging.WARNING, logger="apm.queueing"):
        assert queueing.publish(outbox_task_names.SEND_EMAIL, 3) is False
    assert "Could not publish apm.outbox.tasks.send_email(3,)" in caplog.text


def _imported_modules(tree: ast.Module, module: str) -> set[str]:
    """Every module ``tree`` imports, at the top or inside a function, as absolute names (``x.y`` and ``x.y.z``)."""
    package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def services_modules() -> list[tuple[str, Path]]:
    """(dotted name, path) of every services module of the apps: ``services.py`` or a file of a ``services`` package."""
    modules = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or "services" not in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules.append((name, path))
    return sorted(modules)


def test_it_finds_the_services_modules():
    names = {name for name, _path in services_modules()}
    assert {"reports.services", "reports.services.delivery", "apm.outbox.services"} <= names


@pytest.mark.parametrize(("module", "path"), services_modules(), ids=[name for name, _path in services_modules()])
def test_it_finds_no_tasks_import_in_a_services_module(module, path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    tasks = sorted(name for name in _imported_modules(tree, module) if name.split(".")[-1] == "tasks")
    assert tasks == [], f"{module} imports {tasks}: publish by name (apm.queueing) instead"
