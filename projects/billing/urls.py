"""Billing routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import URLPattern, path

from apm.exports import export_paths
from projects.billing import exports, invoice_views, views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route ("rates", "clients" and "invoices"
#: look like codes, and are reserved: ``apm.converters.RESERVED_PROJECT_CODES``). An invoice's discard comes last of
#: its actions (the access sweep walks them in this order, and a discarded draft is gone).
fixed_urlpatterns: list[URLPattern] = [
    path("rates/", views.rates_page, name="rates"),
    path("clients/<int:pk>/", views.client_account, name="client_account"),
    path("clients/<int:pk>/target/", views.client_target, name="client_target"),
    path("invoices/", invoice_views.invoice_list, name="invoices"),
    path("invoices/new/", invoice_views.invoice_create, name="invoice_create"),
    path("invoices/export.csv", invoice_views.invoice_export, name="invoice_export"),
    *export_paths("invoices/", exports.invoice_list_export, name="invoice_list_export", stem="list"),
    path("invoices/<int:pk>/", invoice_views.invoice_page, name="invoice"),
    path("invoices/<int:pk>/pdf/", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/lines/", invoice_views.invoice_line_add, name="invoice_line_add"),
    path("invoices/<int:pk>/lines/<int:line>/", invoice_views.invoice_line_edit, name="invoice_line"),
    path("invoices/<int:pk>/lines/<int:line>/remove/", invoice_views.invoice_line_remove, name="invoice_line_remove"),
    path("invoices/<int:pk>/issue/", invoice_views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/paid/", invoice_views.invoice_paid, name="invoice_paid"),
    path("invoices/<int:pk>/credit/", invoice_views.invoice_credit, name="invoice_credit"),
    path("invoices/<int:pk>/send/", invoice_views.invoice_send, name="invoice_send"),
    path("invoices/<int:pk>/send/retry/", invoice_views.invoice_send_retry, name="invoice_send_retry"),
    path("invoices/<int:pk>/discard/", invoice_views.invoice_discard, name="invoice_discard"),
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
