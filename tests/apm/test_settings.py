"""Settings: embedded defaults with no environment, production checks with one."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL, "
    "'email': s.EMAIL_BACKEND, 'media': str(s.MEDIA_ROOT), 'var': str(s.VAR_DIR), "
    "'options': s.DATABASES['default'].get('OPTIONS', {}), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'transport': __import__('apm.celery').celery.app.connection_for_write().get_transport_cls().__module__}))"
)


def run_with_env(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "APM_VAR_DIR": str(tmp_path / "var")}
    base["DJANGO_SETTINGS_MODULE"] = "apm.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_runs_embedded_with_no_environment(tmp_path):
    result = run_with_env(["-c", PRINT_SETTINGS], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["db"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in values["options"]["init_command"]
    assert values["options"]["timeout"] >= 5
    assert values["broker"] == "filesystem://"
    assert values["transport"] == "apm.filesystem_broker"  # whole messages only
    assert values["email"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["media"] == str(tmp_path / "var" / "media")
    assert values["eager"] is False


def test_it_switches_to_postgres_redis_and_smtp_from_the_environment(tmp_path):
    env = {
        "DATABASE_URL": "postgres://apm@db.example:5432/apm",
        "REDIS_URL": "redis://cache.example:6379/2",
        "EMAIL_URL": "smtp://mailer.example:2525",
    }
    code = PRINT_SETTINGS.replace("'eager'", "'host': s.EMAIL_HOST, 'port': s.EMAIL_PORT, 'eager'")
    result = run_with_env(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["db"] == "django.db.backends.postgresql"
    assert values["broker"] == "redis://cache.example:6379/2"
    assert values["transport"] == "kombu.transport.redis"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["host"], values["port"]) == ("mailer.example", 2525)


def test_the_api_rate_limits_cache_is_redis_then_and_never_waits_on_it_more_than_a_second(tmp_path):
    code = "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.CACHES))"
    result = run_with_env(["-c", code], {"REDIS_URL": "redis://cache.example:6379/2"}, tmp_path)
    assert result.returncode == 0, result.stderr
    cache = json.loads(result.stdout.strip().splitlines()[-1])["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.example:6379/2"
    assert cache["OPTIONS"]["socket_connect_timeout"] <= 1
    assert cache["OPTIONS"]["socket_timeout"] <= 1


def test_it_passes_the_deploy_checks_in_production(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "apm.example.com",
        "APM_SITE_URL": "https://apm.example.com",
    }
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    result = run_with_env(["manage.py", "check"], {"DEBUG": "false"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_links_emails_to_the_port_make_run_serves_on(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; print(s.APM_SITE_URL)"

    def site_url(env: dict[str, str]) -> str:
        result = run_with_env(["-c", code], env, tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert site_url({"APM_PORT": "8765"}) == "http://127.0.0.1:8765"
    assert site_url({}) == "http://127.0.0.1:8000"
    assert site_url({"APM_PORT": "8765", "APM_SITE_URL": "https://apm.example.com"}) == "https://apm.example.com"
    # The web process of `make run` listens on the same port, with the same default.
    web = next(line for line in (settings.BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert "127.0.0.1:${APM_PORT:-8000}" in web


def test_it_reads_the_sellers_details_and_refuses_a_tax_rate_that_is_not_a_percentage(tmp_path):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
        "[s.APM_COMPANY_LEGAL_NAME, s.APM_COMPANY_TAX_ID, s.APM_COMPANY_BANK_DETAILS, str(s.APM_INVOICE_TAX_RATE)]))"
    )
    env = {
        "APM_COMPANY_NAME": "Northwind",
        "APM_COMPANY_TAX_ID": "GB123456789",
        "APM_COMPANY_BANK_DETAILS": "Example Bank| Sort code 12-34-56 |",
        "APM_INVOICE_TAX_RATE": "7.5",
    }
    result = run_with_env(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "Northwind",  # the legal name defaults to the company's name
        "GB123456789",
        ["Example Bank", "Sort code 12-34-56"],
        "7.5",
    ]
    for bad in ("twenty", "120", "NaN"):
        result = run_with_env(["manage.py", "check"], {"APM_INVOICE_TAX_RATE": bad}, tmp_path)
        assert result.returncode != 0
        assert "APM_INVOICE_TAX_RATE must be" in result.stderr
