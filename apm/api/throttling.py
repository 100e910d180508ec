"""The per-token rate limit: ``APM_API_RATE_PER_MINUTE`` requests a minute for each token (a browser session
counts as its person's), then a 429 problem with ``Retry-After``. Counted in the cache (Redis when set)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from apm.api.models import ApiToken

logger = logging.getLogger(__name__)


class PerToken(SimpleRateThrottle):
    scope = "token"

    def allow_request(self, request: Request, view: Any) -> bool:
        """As DRF counts, except that a cache that fails (Redis down or silent: a second's timeout) lets the
        request through, logged: the limit guards the service, and must not take it down with Redis."""
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("API rate limit not counted: the cache failed", exc_info=True)
            return True

    def get_rate(self) -> str:
        return f"{settings.APM_API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            # The random prefix, not the row's id: ids repeat across databases sharing one cache (test workers).
            ident = f"t{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = f"a{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
