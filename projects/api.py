"""The projects app's API endpoints under ``/api/v1/`` (``apm/urls.py`` includes this module by name): each
domain declares its viewsets in its own ``api.py``; they are registered here."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from projects.portfolio.api import ProjectViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="api-project")

urlpatterns = router.urls
