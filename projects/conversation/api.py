"""The conversation domain's API endpoints (registered by ``projects/api.py``)."""

from __future__ import annotations

from typing import Any

#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = []
