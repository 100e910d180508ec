"""Change request routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from apm.exports import export_paths
from projects.changes import views

urlpatterns = [
    path("<code:code>/changes/", views.change_list, name="changes"),
    *export_paths("<code:code>/changes/", views.change_export, name="changes_export"),
    path("<code:code>/changes/new/", views.change_create, name="change_create"),
    path("<code:code>/changes/<int:number>/", views.change_detail, name="change"),
    path("<code:code>/changes/<int:number>/action/", views.change_action, name="change_action"),
]
