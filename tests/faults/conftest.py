"""The fault-test harness: real Celery worker and beat processes, Redis, PostgreSQL and SMTP.

Reuses the integration fixtures (tests/integration/conftest.py) by import:
``redis_url``, ``postgres_url``, ``broker`` and ``smtp_server`` skip with a
clear reason when their service is missing, and fail under ``CI=true``.
"""

from __future__ import annotations

from tests.integration.conftest import broker, postgres_url, redis_url, smtp_server  # noqa: F401
