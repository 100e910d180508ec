"""Billing routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import URLPattern, path

from projects.billing import views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route ("rates" and "clients" look like
#: codes, and are reserved: ``apm.converters.RESERVED_PROJECT_CODES``).
fixed_urlpatterns: list[URLPattern] = [
    path("rates/", views.rates_page, name="rates"),
    path("clients/<int:pk>/", views.client_account, name="client_account"),
    path("clients/<int:pk>/target/", views.client_target, name="client_target"),
]

#: Routes under a project's code.
urlpatterns: list[URLPattern] = [
    path("<code:code>/billing/", views.billing_settings, name="billing_settings"),
    path("<code:code>/billing/milestones/", views.billing_milestone_add, name="billing_milestone_add"),
    path(
        "<code:code>/billing/milestones/<int:pk>/remove/",
        views.billing_milestone_remove,
        name="billing_milestone_remove",
    ),
]
