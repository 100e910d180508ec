"""Billing routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import URLPattern

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route.
fixed_urlpatterns: list[URLPattern] = []

#: Routes under a project's code.
urlpatterns: list[URLPattern] = []
