"""The tokens page in the browser: a person makes a token (shown once, kept only as its digest), sees their tokens
and revokes one; client contacts make read tokens only; bad input says why and makes nothing; another person's
token is a 404."""

from __future__ import annotations

import pytest
from django.conf import settings

from apm.api.models import ApiToken
from apm.api.services import token_create, token_digest

pytestmark = pytest.mark.django_db
PAGE = "/api/tokens/"


def _made(response) -> str:
    """The token shown on the page answering the POST."""
    html = response.content.decode()
    start = html.index('id="new-token"')
    value = html.rfind('value="', 0, start)
    return html[value + len('value="') : html.index('"', value + len('value="'))]


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_token_made_in_the_browser_is_shown_once_and_kept_only_as_its_digest(client, world, pm):
    client.force_login(pm)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/docs/" in html
    assert "/api/schema/" in html
    assert f'value="{settings.APM_API_TOKEN_DEFAULT_DAYS}"' in html

    project = world["alpha_project"]
    response = client.post(PAGE, {"name": "CRM sync", "scope": "write", "days": "30", "projects": [project.pk]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = _made(response)
    assert token.startswith("apm_")
    html = response.content.decode()
    assert f'curl -H "Authorization: Bearer {token}" http://testserver/api/v1/projects/' in html
    row = ApiToken.objects.get(user=pm)
    assert (row.name, row.can_write, list(row.projects.all())) == ("CRM sync", True, [project])
    assert row.digest == token_digest(token)
    assert token not in {str(value) for value in ApiToken.objects.filter(pk=row.pk).values().get().values()}

    again = client.get(PAGE).content.decode()
    assert token not in again
    assert "CRM sync" in again
    assert row.prefix in again


def test_a_client_contact_makes_read_tokens_only(client, world, client_user):
    client.force_login(client_user)
    html = client.get(PAGE).content.decode()
    assert 'value="write"' not in html
    assert "portal-header" in html
    response = client.post(PAGE, {"name": "Dashboard", "scope": "write", "days": "30"})
    assert response.status_code == 200
    assert "No token was made" in _messages(response)
    assert not ApiToken.objects.filter(user=client_user).exists()
    response = client.post(PAGE, {"name": "Dashboard", "scope": "read", "days": "30"})
    assert "http://testserver/api/v1/portal/projects/" in response.content.decode()
    assert ApiToken.objects.get(user=client_user).can_write is False


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"name": " ", "scope": "read", "days": "30"}, "name"),
        ({"name": "x", "scope": "read", "days": "0"}, "A token lives from 1 to"),
        ({"name": "x", "scope": "read", "days": "10000"}, "A token lives from 1 to"),
        ({"name": "x", "scope": "read", "days": "many"}, "days"),
        ({"name": "x", "scope": "admin", "days": "30"}, "scope"),
    ],
)
def test_bad_input_says_why_and_makes_nothing(client, world, pm, data, said):
    client.force_login(pm)
    response = client.post(PAGE, data)
    assert response.status_code == 200
    assert said in _messages(response)
    assert "No token was made" in _messages(response)
    assert not ApiToken.objects.exists()


def test_a_project_the_person_does_not_see_makes_nothing(client, world, pm):
    client.force_login(pm)
    for junk in (world["beta_project"].pk, "abc", str(2**64)):
        response = client.post(PAGE, {"name": "x", "scope": "read", "days": "30", "projects": [junk]})
        assert "projects" in _messages(response)
    assert not ApiToken.objects.exists()


def test_revoke_ones_own_token_but_not_anothers(client, world, pm, head):
    mine, _ = token_create(user=pm, name="Mine", can_write=False, days=30)
    theirs, _ = token_create(user=head, name="Theirs", can_write=False, days=30)
    client.force_login(pm)
    response = client.post(f"/api/tokens/{mine.pk}/revoke/", follow=True)
    assert "revoked" in _messages(response)
    mine.refresh_from_db()
    assert mine.state == "revoked"
    assert client.post(f"/api/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.get(f"/api/tokens/{mine.pk}/revoke/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    html = client.get(PAGE).content.decode()
    assert "Revoked" in html
    assert "Theirs" not in html


def test_the_page_needs_a_login(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.url


def test_the_docs_page_keeps_to_the_content_security_policy(client, world, pm):
    client.force_login(pm)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    assert "api-docs" in html  # its style, as a static file
    assert "<script>" not in html  # the split view's scripts are files
    # Swagger UI's shell, ours: a language, a main landmark and a level-one heading (axe's first three rules).
    assert '<html lang="en">' in html
    assert "<main>" in html
    assert "<h1" in html
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "sha256-" not in policy
