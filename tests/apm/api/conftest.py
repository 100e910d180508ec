"""API fixtures: ``api_as(user, write=False, projects=())`` is a DRF test client holding a fresh personal
access token of ``user`` (made through the service, as the tokens page makes one)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apm.api.services import token_create


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each test starts with every token's request count at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_as(db):
    def make(user, *, write: bool = False, projects=(), days: int = 30) -> APIClient:
        _row, token = token_create(
            user=user, name=f"test {user.username}", can_write=write, days=days, projects=projects
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.token = token  # type: ignore[attr-defined]
        return client

    return make
