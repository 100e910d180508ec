"""Document routes in the ``projects`` namespace (assembled by ``projects.urls``): the register, clauses and
proposals, a project's compliance, and a department's compliance."""

from django.urls import path

from apm.exports import export_paths
from projects.documents import views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route.
fixed_urlpatterns = [
    path("departments/<code:dept>/compliance/", views.department_compliance, name="department_compliance"),
]

urlpatterns = [
    path("<code:code>/documents/", views.document_list, name="documents"),
    *export_paths("<code:code>/documents/", views.document_export, name="documents_export"),
    path("<code:code>/documents/new/", views.document_create, name="document_create"),
    path("<code:code>/documents/<int:pk>/", views.document_detail, name="document"),
    path("<code:code>/documents/<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("<code:code>/documents/<int:pk>/status/", views.document_status, name="document_status"),
    path("<code:code>/documents/<int:pk>/versions/", views.document_version_add, name="document_version_add"),
    path("<code:code>/documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("<code:code>/documents/versions/<int:pk>/download/", views.version_download, name="version_download"),
    path("<code:code>/clauses/", views.clause_list, name="clauses"),
    path("<code:code>/clauses/new/", views.clause_create, name="clause_create"),
    path("<code:code>/clauses/<int:pk>/", views.clause_detail, name="clause"),
    path("<code:code>/clauses/<int:pk>/evidence/", views.clause_evidence, name="clause_evidence"),
    path("<code:code>/clauses/<int:pk>/period-met/", views.clause_period_met, name="clause_period_met"),
    path("<code:code>/clauses/<int:pk>/propose/", views.clause_propose, name="clause_propose"),
    path("<code:code>/clauses/proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("<code:code>/compliance/", views.compliance, name="compliance"),
]
