"""Staffing routes.

``urlpatterns`` is the ``staffing`` namespace, mounted at ``/staffing/`` by
``apm.urls``: pages outside a project (the capacity heatmap, a person's page).
``project_urlpatterns`` are a project's team pages, in the ``projects``
namespace (assembled by ``projects.urls``).
"""

from django.urls import path

from projects.staffing import views

app_name = "staffing"

urlpatterns = [
    path("capacity/", views.capacity_heatmap, name="capacity"),
    path("people/<int:pk>/", views.person_detail, name="person"),
]

project_urlpatterns = [
    path("<code:code>/team/", views.project_team, name="team"),
    path("<code:code>/team/roles/new/", views.role_create, name="role_create"),
    path("<code:code>/team/roles/<int:role_id>/suggestions/", views.role_suggestions, name="role_suggestions"),
    path("<code:code>/team/roles/<int:role_id>/assign/", views.role_assign, name="role_assign"),
    path("<code:code>/team/roles/<int:role_id>/edit/", views.role_edit, name="role_edit"),
    path("<code:code>/team/roles/<int:role_id>/close/", views.role_close, name="role_close"),
    path("<code:code>/team/allocations/<int:pk>/", views.allocation_edit, name="allocation_edit"),
    path("<code:code>/team/allocations/<int:pk>/cancel/", views.allocation_cancel, name="allocation_cancel"),
]
