"""Security: headers and CSP, CSRF, session rotation, login throttling behind a proxy, audit of logins."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apm.accounts import ip
from apm.accounts.ip import client_ip
from apm.accounts.models import AuditEvent, AuditKind
from tests.apm.test_settings import run_with_env

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_it_sends_the_security_headers_on_a_logged_in_page(client, world, pm):
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=["ALPHA-1"]))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert any(source.startswith("'nonce-") for source in directives["script-src"])
    assert directives["style-src"] == ["'self'"]  # no inline styles (tests/browser/test_csp.py)
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_it_gives_every_request_its_own_nonce(client, world, pm):
    client.force_login(pm)
    first = client.get(reverse("portal:home"))["Content-Security-Policy"]
    second = client.get(reverse("portal:home"))["Content-Security-Policy"]
    nonce = re.compile(r"'nonce-([^']+)'")
    assert nonce.search(first).group(1) != nonce.search(second).group(1)


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)


def test_it_has_no_inline_script_or_event_handler_in_any_template():
    offenders = []
    for path in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        if "/pdf/" in str(path) or "/emails/" in str(path):
            continue  # print and email templates are not served pages (no script runs there)
        text = path.read_text(encoding="utf-8")
        if INLINE_HANDLER.search(text) or INLINE_SCRIPT.search(text) or "javascript:" in text:
            offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []


def test_it_refuses_a_form_post_without_the_csrf_token(world, pm):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pm)
    response = browser.post(reverse("portal:access", args=["ALPHA-1"]), {"days": "7"})
    assert response.status_code == 403
    page = browser.get(reverse("portal:access", args=["ALPHA-1"]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = browser.post(reverse("portal:access", args=["ALPHA-1"]), {"days": "7", "csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_it_gives_the_session_a_new_key_at_login(client, world):
    session = client.session
    session["before_login"] = True
    session.save()
    old_key = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = client.post(reverse("login"), {"username": "pm", "password": PASSWORD})
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key
    assert new_key != old_key


def test_it_audits_logins_and_failed_logins_with_the_client_address(client, world, pm, settings):
    settings.APM_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.20"}
    client.post(reverse("login"), {"username": "pm", "password": "wrong"}, **proxy)
    client.post(reverse("login"), {"username": "pm", "password": PASSWORD}, **proxy)
    failed = AuditEvent.objects.get(kind=AuditKind.LOGIN_FAILED)
    assert (failed.user, failed.username, failed.ip) == (None, "pm", "198.51.100.20")
    login = AuditEvent.objects.get(kind=AuditKind.LOGIN)
    assert (login.user, login.ip) == (pm, "198.51.100.20")


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "6.6.6.6", "192.0.2.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.20", "198.51.100.20"),
        (1, "10.0.0.2", "198.51.100.20", "198.51.100.20"),
        (2, "10.0.0.2", "6.6.6.6, 198.51.100.20, 10.0.0.1", "198.51.100.20"),
        (2, "10.0.0.2", "198.51.100.20", "10.0.0.2"),
        (1, "10.0.0.2", "not-an-ip", "10.0.0.2"),
        (1, "10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_it_takes_the_client_address_from_the_trusted_proxies_only(rf, settings, count, remote, forwarded, expected):
    settings.APM_TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_it_ignores_a_forged_forwarded_for_by_default_in_production(tmp_path):
    env = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "apm.example.com"}
    code = (
        "import django; django.setup(); from django.test import RequestFactory; "
        "from apm.accounts.ip import client_ip; "
        "print(client_ip(RequestFactory().get('/', REMOTE_ADDR='192.0.2.1', HTTP_X_FORWARDED_FOR='6.6.6.6')))"
    )
    result = run_with_env(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "192.0.2.1"


def test_it_warns_once_per_process_about_a_forwarded_for_while_no_proxy_is_trusted(
    client, world, settings, caplog, monkeypatch
):
    settings.APM_TRUSTED_PROXY_COUNT = 0
    monkeypatch.setattr(ip, "_warned_about_forwarded_for", False)
    client.post(reverse("login"), {"username": "pm", "password": "wrong"}, REMOTE_ADDR="10.0.0.2")
    assert [r for r in caplog.records if r.name == "apm.accounts.ip"] == []
    behind_a_proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    client.post(reverse("login"), {"username": "pm", "password": "wrong"}, **behind_a_proxy)
    client.post(reverse("login"), {"username": "head", "password": "wrong"}, **behind_a_proxy)
    warnings = [r for r in caplog.records if r.name == "apm.accounts.ip"]
    assert len(warnings) == 1
    assert warnings[0].levelname == "WARNING"
    assert "APM_TRUSTED_PROXY_COUNT" in warnings[0].getMessage()
    assert "X-Forwarded-For" in warnings[0].getMessage()
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED, ip="10.0.0.2").count() == 3


def test_it_does_not_warn_when_the_proxies_are_trusted(client, world, settings, caplog, monkeypatch):
    settings.APM_TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(ip, "_warned_about_forwarded_for", False)
    client.post(
        reverse("login"),
        {"username": "pm", "password": "wrong"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert [r for r in caplog.records if r.name == "apm.accounts.ip"] == []


def test_it_locks_logins_after_the_failure_limit_and_a_spoofed_forwarded_for_does_not_unlock(client, world, settings):
    settings.APM_TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "pm", "password": "guess"}, **attacker)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # The right password is refused while locked out.
    assert client.post(reverse("login"), {"username": "pm", "password": PASSWORD}, **attacker).status_code == 429
    # Writing another address into X-Forwarded-For does not help: the proxy appends the real one.
    for spoof in ("203.0.113.9, 198.51.100.66", "127.0.0.1, 198.51.100.66"):
        spoofed = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": spoof}
        response = client.post(reverse("login"), {"username": "head", "password": PASSWORD}, **spoofed)
        assert response.status_code == 429
    # Someone else, really elsewhere, logs in as usual.
    elsewhere = Client()
    response = elsewhere.post(
        reverse("login"),
        {"username": "head", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.80",
    )
    assert response.status_code == 302


def test_it_validates_passwords(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short1", "password123", "1234567890123"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Blue-kettle-59-orbit")


def test_it_passes_the_deploy_checks_with_secure_cookies_in_production(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "apm.example.com",
        "APM_SITE_URL": "https://apm.example.com",
    }
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.APM_TRUSTED_PROXY_COUNT, "
        "[str(x) for x in s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']]]))"
    )
    result = run_with_env(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values[:5] == [True, True, True, True, True]
    assert values[5] == 0  # no proxy is trusted unless configured: a forged X-Forwarded-For is ignored
    assert "'unsafe-inline'" not in values[6]
