"""Billing routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import URLPattern, path

from projects.billing import views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route ("rates" looks like a code).
fixed_urlpatterns: list[URLPattern] = [
    path("rates/", views.rates_page, name="rates"),
]

#: Routes under a project's code.
urlpatterns: list[URLPattern] = []
