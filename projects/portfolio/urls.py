"""Portfolio routes in the ``projects`` namespace (assembled by ``projects.urls``): the list, a new project,
a project's page and its edit form."""

from django.urls import path

from apm.exports import export_paths
from projects.portfolio import exports, views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route ("new" looks like a code).
fixed_urlpatterns = [
    path("", views.project_list, name="list"),
    *export_paths("", exports.project_list_export, name="list_export"),
    path("new/", views.project_create, name="create"),
]

urlpatterns = [
    path("<code:code>/", views.project_detail, name="detail"),
    path("<code:code>/edit/", views.project_edit, name="edit"),
]
