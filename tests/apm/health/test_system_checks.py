"""The system checks of the reliability settings (apm.health.system_checks)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_warns_when_a_healthy_task_could_be_taken_for_lost(settings):
    from apm.health.system_checks import check_lost_work_timeouts

    assert check_lost_work_timeouts() == []  # the defaults are consistent
    settings.APM_STUCK_AFTER_SECONDS = 300
    settings.CELERY_TASK_TIME_LIMIT = 300
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 120}
    assert [w.id for w in check_lost_work_timeouts()] == ["apm.W001", "apm.W002"]


def test_it_warns_a_deployment_whose_emails_link_to_a_plain_http_site(settings):
    from apm.health.system_checks import check_site_url_is_https

    settings.APM_SITE_URL = "https://apm.example.com"
    assert check_site_url_is_https() == []
    settings.APM_SITE_URL = "http://apm.example.com"
    [warning] = check_site_url_is_https()
    assert warning.id == "apm.W003"
    assert "one-click unsubscribe" in warning.msg
