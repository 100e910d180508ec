"""The reports app's API endpoints under ``/api/v1/`` (``apm/urls.py`` includes this module by name)."""

from __future__ import annotations

from typing import Any

from rest_framework.routers import SimpleRouter

#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this app.
ROUTES: list[tuple[str, Any, str]] = []

router = SimpleRouter()
for prefix, viewset, basename in ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
