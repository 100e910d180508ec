"""Custom error pages: templates/404.html in the app's layout, templates/500.html plain (no request or database)."""

from __future__ import annotations

import re

from django.test import RequestFactory
from django.views.defaults import server_error


def test_it_renders_the_apps_404_page_with_debug_off(client, pm, settings):
    settings.DEBUG = False
    client.force_login(pm)
    response = client.get("/no-such-page-at-all/")
    assert response.status_code == 404
    assert [t.name for t in response.templates][:1] == ["404.html"]
    body = response.content.decode()
    assert "Page not found" in body
    assert re.search(r'href="/static/css/apm\.[0-9a-f]{12}\.css"', body)  # the stylesheet, by its hashed name


def test_it_renders_a_plain_500_page_without_the_database(settings):
    settings.DEBUG = False  # no django_db mark: any database access here fails the test
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert 'href="/static/css/apm.css"' in body
