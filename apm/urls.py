"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from apm.accounts.views import LoginView, home
from apm.api import views as api_views
from apm.converters import CodeConverter

# <code:...> in every app's URLs: registered before the apps' URLconfs load.
register_converter(CodeConverter, "code")

urlpatterns = [
    path("", home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("projects/", include("projects.urls")),
    path("reports/", include("reports.urls")),
    path("teams/", include("teams.urls")),
    path("staffing/", include("projects.staffing.urls")),
    # Portfolio files of any layout, mapped in the browser (administrators and department heads).
    path("import/", include("projects.importers.urls")),
    path("accounts/", include("apm.accounts.urls")),
    # Everyone's notification centre and settings (internal users and client contacts alike).
    path("notifications/", include("projects.notifications.urls")),
    # The client portal: status pages for client contacts and share links.
    path("portal/", include("projects.portal.urls")),
    # The REST API: each app's endpoints from its own api.py (by name: apm imports no app), the schema and docs.
    path("api/v1/", include("projects.api")),
    path("api/v1/", include("teams.api")),
    path("api/v1/", include("reports.api")),
    # Anything else under /api/v1/ is the API's 404 problem, not the site's HTML page.
    path("api/v1/<path:rest>", api_views.not_found, name="api-not-found"),
    path("api/", include("apm.api.urls")),
    path("admin/", admin.site.urls),
    # Database, broker and beat checks for the load balancer and monitoring (no login).
    path("health/", include("apm.health.urls")),
]
