"""Staffing URLs outside a project: the capacity heatmap and a person's page."""

from django.urls import path

from projects import staffing_views

app_name = "staffing"

urlpatterns = [
    path("capacity/", staffing_views.capacity_heatmap, name="capacity"),
    path("people/<int:pk>/", staffing_views.person_detail, name="person"),
]
