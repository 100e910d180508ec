"""The weekly update's route in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from projects.status import views

urlpatterns = [
    path("<code:code>/update/", views.status_update_edit, name="update"),
]
