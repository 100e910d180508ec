"""``/api/``: the OpenAPI schema, its interactive docs (Swagger UI from our static files) and each person's
tokens page. The endpoints themselves are under ``/api/v1/``, from each app's ``api.py``."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apm.api import views

#: The one inline ``<style>`` of drf-spectacular's Swagger UI page (box sizing, the page's margin), allowed by its
#: hash on that page alone; its scripts are our static files (the split view), which the policy allows already.
#: ``tests/apm/api/test_pages.py`` checks the hash against the page, so an upgrade that changes the style says so.
SWAGGER_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        csp_update({"style-src": [SWAGGER_STYLE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="api-token-revoke"),
]
