"""Activity feed routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from projects.activity import views

urlpatterns = [
    path("<code:code>/activity/", views.activity, name="activity"),
]
