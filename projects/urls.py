"""Project URLs. ``<code:code>`` is a project code (apm.converters); anything unknown is a 404."""

from django.urls import path

from projects import staffing_views, update_views, views
from projects.budget import views as budget_views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    # Budget, time and costs (issue 4): fixed words before the project code.
    path("time/week/", budget_views.timesheet, name="timesheet"),
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
