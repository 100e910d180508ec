"""Project URLs. ``<code>`` is a project code (no slashes); anything unknown is a 404."""

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<str:code>/", views.project_detail, name="detail"),
    path("<str:code>/edit/", views.project_edit, name="edit"),
]

# The PM's weekly update (reports issue 7).
from projects import update_views  # noqa: E402

urlpatterns += [
    path("<str:code>/update/", update_views.status_update_edit, name="update"),
]
