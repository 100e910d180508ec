"""``/health/`` for monitoring and ``/health/web/`` for the load balancer.

Both answer without login, as JSON: ``{"status": "ok"|"failing", "checks":
{"database": "ok", ...}}``, 200 when every check passes, else 503. An
anonymous caller learns only which of the named checks fail: no error text,
host, version, timing or stack trace (those go to the log). The checks cost
one ``SELECT 1``, one row read and one Redis PING: less than the login page.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apm.health.checks import CheckResult, run_checks

logger = logging.getLogger(__name__)

#: /health/web/: what a web node needs to answer pages. A broker or beat outage does not stop
#: pages (publishing fails fast, the sweepers publish later), so it must not take every node
#: out of the load balancer at once.
WEB_CHECKS = ("database",)


def _answer(results: list[CheckResult]) -> JsonResponse:
    for result in results:
        if not result.ok:
            logger.warning("Health check %s failing: %s", result.name, result.detail, extra={"check": result.name})
    healthy = all(result.ok for result in results)
    body = {
        "status": "ok" if healthy else "failing",
        "checks": {result.name: "ok" if result.ok else "failing" for result in results},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Database, broker and beat heartbeat: 200 when all pass, 503 naming the failing ones."""
    return _answer(run_checks())


@never_cache
@require_safe
def health_web(request: HttpRequest) -> JsonResponse:
    """The database only: 200 when this web node can serve pages, else 503."""
    return _answer(run_checks(WEB_CHECKS))
