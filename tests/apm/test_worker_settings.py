"""Celery workers run with DEBUG off even where the web has it on (``make run``)."""

from __future__ import annotations

import json

import pytest

from apm.settings import _started_as_celery_worker
from tests.apm.test_settings import run_with_env

# Settings as a process started with ``argv`` sees them (sys.argv set before Django reads its settings).
PRINT_AS = (
    "import sys; sys.argv = {argv!r}; import django, json; django.setup(); from django.conf import settings as s; "
    "from apm.celery import app; "
    "print(json.dumps({{'debug': s.DEBUG, 'worker': s.APM_WORKER, 'key': s.SECRET_KEY, "
    "'max_memory': app.conf.worker_max_memory_per_child}}))"
)
VENV_CELERY = "/srv/apm/.venv/bin/celery"
MODULE_CELERY = "/usr/lib/python3/dist-packages/celery/__main__.py"


def settings_as(argv: list[str], env: dict[str, str], tmp_path) -> dict:
    result = run_with_env(["-c", PRINT_AS.format(argv=argv)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("argv", "worker"),
    [
        ([VENV_CELERY, "-A", "apm", "worker", "--loglevel=INFO", "--concurrency=2"], True),
        ([MODULE_CELERY, "-A", "apm", "worker", "-P", "prefork", "-c", "1"], True),
        (["celery", "-A", "apm", "worker"], True),
        ([VENV_CELERY, "-A", "apm", "beat"], False),
        ([VENV_CELERY, "-A", "apm", "inspect", "ping"], False),
        (["manage.py", "runserver", "--noreload", "127.0.0.1:8000"], False),
        (["/srv/apm/.venv/bin/gunicorn", "apm.wsgi:application"], False),
        (["manage.py", "worker"], False),
        ([], False),
    ],
)
def test_it_recognises_a_celery_worker_from_its_command_line(argv, worker):
    assert _started_as_celery_worker(argv) is worker


def test_a_worker_runs_with_debug_off_beside_a_web_with_it_on(tmp_path):
    web = settings_as(["manage.py", "runserver"], {}, tmp_path)
    worker = settings_as([VENV_CELERY, "-A", "apm", "worker"], {"DEBUG": "true"}, tmp_path)
    module_worker = settings_as([MODULE_CELERY, "-A", "apm", "worker"], {}, tmp_path)

    assert (web["debug"], web["worker"]) == (True, False)
    assert (worker["debug"], worker["worker"]) == (False, True)
    assert module_worker["debug"] is False
    # One key for the web and the workers of one checkout: the links a worker signs open on the web.
    assert worker["key"] == web["key"]


def test_apm_worker_says_so_for_a_worker_started_another_way(tmp_path):
    started_otherwise = settings_as(["bench/_timed_worker.py", "node1"], {"APM_WORKER": "true"}, tmp_path)
    kept_on = settings_as([VENV_CELERY, "-A", "apm", "worker"], {"APM_WORKER": "false"}, tmp_path)

    assert started_otherwise["debug"] is False
    assert kept_on["debug"] is True


def test_the_memory_limit_of_a_child_is_set_from_the_environment(tmp_path):
    argv = [VENV_CELERY, "-A", "apm", "worker"]
    assert settings_as(argv, {}, tmp_path)["max_memory"] == 600 * 1024
    assert settings_as(argv, {"APM_WORKER_MAX_MEMORY_MB": "1500"}, tmp_path)["max_memory"] == 1500 * 1024
    assert settings_as(argv, {"APM_WORKER_MAX_MEMORY_MB": "0"}, tmp_path)["max_memory"] is None

    refused = run_with_env(["-c", PRINT_AS.format(argv=argv)], {"APM_WORKER_MAX_MEMORY_MB": "-1"}, tmp_path)
    assert refused.returncode != 0
    assert "APM_WORKER_MAX_MEMORY_MB must be 0 (off) or more." in refused.stderr
