"""Project URLs. ``<code:code>`` is a project code (apm.converters); anything unknown is a 404."""

from django.urls import path

from projects import staffing_views, update_views, views
from projects.budget import views as budget_views
from projects.delivery import views as delivery_views
from projects.desk import views as desk_views
from projects.documents import correspondence_views
from projects.documents import views as document_views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    # Budget, time and costs (issue 4): fixed words before the project code.
    path("time/week/", budget_views.timesheet, name="timesheet"),
    # The PM's desk (issue 6): a fixed word before the project code ("desk" is a reserved code).
    path("desk/", desk_views.desk, name="desk"),
    path("departments/<code:dept>/compliance/", document_views.department_compliance, name="department_compliance"),
    path("departments/<code:dept>/budget/", budget_views.department_portfolio, name="department_budget"),
    path("<code:code>/", views.project_detail, name="detail"),
    path("<code:code>/edit/", views.project_edit, name="edit"),
    # The PM's weekly update (issue 7).
    path("<code:code>/update/", update_views.status_update_edit, name="update"),
    # Staffing (issue 3): the project's team, open roles, suggestions and one-click assign.
    path("<code:code>/team/", staffing_views.project_team, name="team"),
    path("<code:code>/team/roles/new/", staffing_views.role_create, name="role_create"),
    path("<code:code>/team/roles/<int:role_id>/suggestions/", staffing_views.role_suggestions, name="role_suggestions"),
    path("<code:code>/team/roles/<int:role_id>/assign/", staffing_views.role_assign, name="role_assign"),
    path("<code:code>/budget/", budget_views.budget_page, name="budget"),
    path("<code:code>/budget/lines/", budget_views.budget_line_add, name="budget_line_add"),
    path("<code:code>/budget/settings/", budget_views.budget_settings, name="budget_settings"),
    path("<code:code>/budget/expenses/", budget_views.expense_add, name="expense_add"),
    path("<code:code>/budget/expenses/<int:pk>/receipt/", budget_views.expense_receipt, name="expense_receipt"),
    path("<code:code>/budget/baselines/", budget_views.baseline_add, name="baseline_add"),
    path("<code:code>/budget/contingency/", budget_views.contingency_request, name="contingency_request"),
    path("<code:code>/budget/contingency/<int:pk>/", budget_views.contingency_decide, name="contingency_decide"),
]

# Deliverables, quality, change requests and the RAID log (issue 5).
urlpatterns += [
    path("<code:code>/deliverables/", delivery_views.deliverable_list, name="deliverables"),
    path("<code:code>/deliverables/new/", delivery_views.deliverable_create, name="deliverable_create"),
    path("<code:code>/deliverables/baseline/", delivery_views.schedule_baseline, name="schedule_baseline"),
    path("<code:code>/deliverables/<int:pk>/", delivery_views.deliverable_detail, name="deliverable"),
    path("<code:code>/deliverables/<int:pk>/edit/", delivery_views.deliverable_edit, name="deliverable_edit"),
    path("<code:code>/deliverables/<int:pk>/move/", delivery_views.deliverable_move, name="deliverable_move"),
    path("<code:code>/deliverables/<int:pk>/review/", delivery_views.review_create, name="review_create"),
    path("<code:code>/quality/", delivery_views.quality_page, name="quality"),
    path("<code:code>/quality/evidence/<int:pk>/", delivery_views.evidence_download, name="evidence"),
    path("<code:code>/quality/nc/<int:pk>/", delivery_views.non_conformance_action, name="nc_action"),
    path("<code:code>/changes/", delivery_views.change_list, name="changes"),
    path("<code:code>/changes/new/", delivery_views.change_create, name="change_create"),
    path("<code:code>/changes/<int:number>/", delivery_views.change_detail, name="change"),
    path("<code:code>/changes/<int:number>/action/", delivery_views.change_action, name="change_action"),
    path("<code:code>/raid/", delivery_views.raid_log, name="raid"),
    path("<code:code>/raid/new/", delivery_views.raid_create, name="raid_create"),
    path("<code:code>/raid/<int:pk>/", delivery_views.raid_detail, name="raid_item"),
    path("<code:code>/raid/<int:pk>/action/", delivery_views.raid_action, name="raid_action"),
]

# Documents in line with the deal: register, clauses and proposals, compliance, correspondence, letters (issue 6).
urlpatterns += [
    path("<code:code>/documents/", document_views.document_list, name="documents"),
    path("<code:code>/documents/new/", document_views.document_create, name="document_create"),
    path("<code:code>/documents/<int:pk>/", document_views.document_detail, name="document"),
    path("<code:code>/documents/<int:pk>/edit/", document_views.document_edit, name="document_edit"),
    path("<code:code>/documents/<int:pk>/status/", document_views.document_status, name="document_status"),
    path("<code:code>/documents/<int:pk>/versions/", document_views.document_version_add, name="document_version_add"),
    path("<code:code>/documents/<int:pk>/download/", document_views.document_download, name="document_download"),
    path("<code:code>/documents/versions/<int:pk>/download/", document_views.version_download, name="version_download"),
    path("<code:code>/clauses/", document_views.clause_list, name="clauses"),
    path("<code:code>/clauses/new/", document_views.clause_create, name="clause_create"),
    path("<code:code>/clauses/<int:pk>/", document_views.clause_detail, name="clause"),
    path("<code:code>/clauses/<int:pk>/evidence/", document_views.clause_evidence, name="clause_evidence"),
    path("<code:code>/clauses/<int:pk>/propose/", document_views.clause_propose, name="clause_propose"),
    path("<code:code>/clauses/proposals/<int:pk>/decide/", document_views.proposal_decide, name="proposal_decide"),
    path("<code:code>/compliance/", document_views.compliance, name="compliance"),
    path("<code:code>/correspondence/", correspondence_views.correspondence_list, name="correspondence"),
    path("<code:code>/correspondence/new/", correspondence_views.correspondence_create, name="correspondence_create"),
    path("<code:code>/correspondence/letter/", correspondence_views.letter_create, name="letter_create"),
    path(
        "<code:code>/correspondence/<int:pk>/",
        correspondence_views.correspondence_detail,
        name="correspondence_entry",
    ),
    path(
        "<code:code>/correspondence/<int:pk>/status/",
        correspondence_views.correspondence_status,
        name="correspondence_status",
    ),
    path(
        "<code:code>/correspondence/<int:pk>/attach/",
        correspondence_views.correspondence_attach,
        name="correspondence_attach",
    ),
    path(
        "<code:code>/correspondence/files/<int:pk>/",
        correspondence_views.attachment_download,
        name="correspondence_file",
    ),
]
