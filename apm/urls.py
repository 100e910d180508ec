"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from apm.converters import CodeConverter

# <code:...> in every app's URLs: registered before the apps' URLconfs load.
register_converter(CodeConverter, "code")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("projects/", include("projects.urls")),
    path("reports/", include("reports.urls")),
    path("teams/", include("teams.urls")),
    path("staffing/", include("projects.staffing_urls")),
    path("admin/", admin.site.urls),
]
