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

# Staffing (teams issue 3): the project's team, open roles, suggestions and one-click assign.
from projects import staffing_views  # noqa: E402

urlpatterns += [
    path("<str:code>/team/", staffing_views.project_team, name="team"),
    path("<str:code>/team/roles/new/", staffing_views.role_create, name="role_create"),
    path("<str:code>/team/roles/<int:role_id>/suggestions/", staffing_views.role_suggestions, name="role_suggestions"),
    path("<str:code>/team/roles/<int:role_id>/assign/", staffing_views.role_assign, name="role_assign"),
]
