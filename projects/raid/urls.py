"""RAID log routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from apm.exports import export_paths
from projects.raid import views

urlpatterns = [
    path("<code:code>/raid/", views.raid_log, name="raid"),
    *export_paths("<code:code>/raid/", views.raid_export, name="raid_export"),
    path("<code:code>/raid/new/", views.raid_create, name="raid_create"),
    path("<code:code>/raid/<int:pk>/", views.raid_detail, name="raid_item"),
    path("<code:code>/raid/<int:pk>/action/", views.raid_action, name="raid_action"),
]
