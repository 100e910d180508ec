"""Client portal URLs, mounted at /portal/.

``_s/<token>/`` is the share link (no login); it starts with "_" so that it
can never be a project code. ``invoices/`` comes before ``<code:code>/``:
"invoices" is a reserved word, never a project code
(``apm.converters.RESERVED_PROJECT_CODES``).
"""

from django.urls import path

from projects.conversation.urls import portal_urlpatterns as comment_urlpatterns
from projects.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("_s/<str:token>/", views.shared_status, name="shared"),
    path("_s/<str:token>/reports/<int:pk>/pdf/", views.shared_report_pdf, name="shared_report_pdf"),
    path("invoices/", views.portal_invoices, name="invoices"),
    path("invoices/<int:pk>/", views.portal_invoice, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.portal_invoice_pdf, name="invoice_pdf"),
    path("<code:code>/", views.portal_project, name="project"),
    path("<code:code>/reports/<int:pk>/pdf/", views.portal_report_pdf, name="report_pdf"),
    path("<code:code>/deliverables/<int:pk>/sign-off/", views.deliverable_sign_off_view, name="sign_off"),
    path("<code:code>/changes/<int:pk>/decide/", views.change_request_decide_view, name="decide"),
    *comment_urlpatterns,
    path("<code:code>/access/", views.project_access, name="access"),
    path("<code:code>/access/links/<int:pk>/revoke/", views.share_link_revoke_view, name="share_revoke"),
    path("<code:code>/access/contacts/", views.contact_add_view, name="contact_add"),
    path("<code:code>/access/contacts/<int:pk>/invite/", views.contact_invite_view, name="invite"),
]
