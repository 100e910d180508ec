"""The desk's route in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from projects.desk import views

#: A fixed word: ``projects.urls`` puts it before every ``<code:code>/`` route ("desk" looks like a code).
fixed_urlpatterns = [
    path("desk/", views.desk, name="desk"),
]
