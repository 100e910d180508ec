"""Deliverable routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from apm.exports import export_paths
from projects.delivery import views

urlpatterns = [
    path("<code:code>/deliverables/", views.deliverable_list, name="deliverables"),
    *export_paths("<code:code>/deliverables/", views.deliverable_export, name="deliverables_export"),
    path("<code:code>/deliverables/new/", views.deliverable_create, name="deliverable_create"),
    path("<code:code>/deliverables/baseline/", views.schedule_baseline, name="schedule_baseline"),
    path("<code:code>/deliverables/<int:pk>/", views.deliverable_detail, name="deliverable"),
    path("<code:code>/deliverables/<int:pk>/edit/", views.deliverable_edit, name="deliverable_edit"),
    path("<code:code>/deliverables/<int:pk>/move/", views.deliverable_move, name="deliverable_move"),
]
