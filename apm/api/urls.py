"""``/api/``: the OpenAPI schema, its interactive docs (Swagger UI from our static files) and each person's
tokens page. The endpoints themselves are under ``/api/v1/``, from each app's ``api.py``."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apm.api import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Our template of the page: its style is a static file, so the Content-Security-Policy needs no exception.
    # A page for people: an anonymous visitor is sent to the login page (the schema answers a program's 401).
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="api-token-revoke"),
]
