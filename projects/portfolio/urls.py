"""Portfolio routes in the ``projects`` namespace (assembled by ``projects.urls``): the list, a new project,
a project's page and its edit form."""

from django.urls import path

from projects.portfolio import views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route ("new" looks like a code).
fixed_urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
]

urlpatterns = [
    path("<code:code>/", views.project_detail, name="detail"),
    path("<code:code>/edit/", views.project_edit, name="edit"),
]
