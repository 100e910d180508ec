"""Celery application: settings come from Django's settings with the CELERY_ prefix.

Worker-only behaviour (apm/settings.py): workers and beat wait longer on Redis than a web request's publish,
workers run with DEBUG off, a prefork child is replaced
once its memory passes ``APM_WORKER_MAX_MEMORY_MB``, and after each task named in
``APM_GC_COLLECT_AFTER_TASKS`` (the report renders) that laid something out the process collects its
garbage.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, celeryd_init, task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")

app = Celery("apm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
@beat_init.connect
def broker_waits_of_a_worker(**_kwargs: Any) -> None:
    """A worker or beat, as it starts, waits on Redis as ``APM_REDIS_WORKER_TRANSPORT_OPTIONS`` say: longer than
    a web request's publish (``APM_REDIS_TRANSPORT_OPTIONS``, about a second, one try). Its connections are
    made after this; a prefork child inherits it."""
    from django.conf import settings

    if settings.REDIS_URL:
        app.conf.broker_transport_options = dict(settings.APM_REDIS_WORKER_TRANSPORT_OPTIONS)


@task_postrun.connect
def collect_garbage_after_render(sender: Any = None, **_kwargs: Any) -> None:
    """After a report render that laid something out, collect the garbage its layout left, before the next task
    starts (:func:`apm.pdf.collect_layout_garbage`)."""
    from django.conf import settings

    from apm.pdf import collect_layout_garbage

    if getattr(sender, "name", None) in settings.APM_GC_COLLECT_AFTER_TASKS:
        collect_layout_garbage()
