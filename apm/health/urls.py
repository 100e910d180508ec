"""Health endpoints (no login: load balancers and monitoring call them)."""

from django.urls import path

from apm.health import views

app_name = "health"

urlpatterns = [
    path("", views.health, name="status"),
    path("web/", views.health_web, name="web"),
]
