"""Django system checks for the reliability settings (run by ``manage.py check`` and ``check --deploy``).

The sweepers take a render or send left in progress longer than
``APM_STUCK_AFTER_SECONDS`` as lost (its worker died) and, on its last try,
mark it failed. That is only true if no healthy task can run that long:
Celery's hard time limit ``CELERY_TASK_TIME_LIMIT`` must be shorter.
Likewise a task not acknowledged within ``CELERY_VISIBILITY_TIMEOUT`` is
handed to a second worker. A warning, not an error, so that the fault tests
can run with seconds-long settings; production runs ``check --deploy
--fail-level WARNING`` (README), which refuses it.

With ``--deploy`` only: the links in emails (``APM_SITE_URL``) must be https,
as mail programs take a one-click unsubscribe link (RFC 8058) only over https.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


@checks.register
def check_lost_work_timeouts(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Warn (apm.W001) when a healthy render or send could be taken for lost; (apm.W002) for the visibility timeout.

    Returns a list of :class:`django.core.checks.Warning`, empty when the
    settings are consistent.
    """
    warnings: list[checks.CheckMessage] = []
    time_limit = settings.CELERY_TASK_TIME_LIMIT
    stuck_after = settings.APM_STUCK_AFTER_SECONDS
    if stuck_after <= time_limit:
        warnings.append(
            checks.Warning(
                f"APM_STUCK_AFTER_SECONDS ({stuck_after}) is not longer than "
                f"CELERY_TASK_TIME_LIMIT ({time_limit}): a slow but healthy render or send would be "
                "taken for lost, done twice, or marked failed on its last try.",
                hint="Set APM_STUCK_AFTER_SECONDS above CELERY_TASK_TIME_LIMIT (defaults 600 and 300).",
                id="apm.W001",
            )
        )
    visibility = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("visibility_timeout")
    if visibility is not None and visibility <= time_limit:
        warnings.append(
            checks.Warning(
                f"CELERY_VISIBILITY_TIMEOUT ({visibility}) is not longer than CELERY_TASK_TIME_LIMIT "
                f"({time_limit}): Redis would hand a task still running to a second worker.",
                hint="Set CELERY_VISIBILITY_TIMEOUT above CELERY_TASK_TIME_LIMIT (defaults 3600 and 300).",
                id="apm.W002",
            )
        )
    return warnings


@checks.register(checks.Tags.security, deploy=True)
def check_site_url_is_https(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn (apm.W003, ``check --deploy`` only) when ``APM_SITE_URL``, the address of links in emails, is not https."""
    if settings.APM_SITE_URL.lower().startswith("https://"):
        return []
    return [
        checks.Warning(
            f"APM_SITE_URL ({settings.APM_SITE_URL}) is not https: links in emails would go over plain HTTP, and "
            "mail programs refuse the one-click unsubscribe link of scheduled reports (RFC 8058).",
            hint="Set APM_SITE_URL to the site's https address, e.g. https://apm.example.com.",
            id="apm.W003",
        )
    ]
