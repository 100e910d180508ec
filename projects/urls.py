"""Project URLs. ``<code>`` is a project code (no slashes); anything unknown is a 404."""

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<str:code>/", views.project_detail, name="detail"),
    path("<str:code>/edit/", views.project_edit, name="edit"),
]

# The PM's weekly update (reports issue 7).
from projects import update_views  # noqa: E402

urlpatterns += [
    path("<str:code>/update/", update_views.status_update_edit, name="update"),
]

# Staffing (teams issue 3): the project's team, open roles, suggestions and one-click assign.
from projects import staffing_views  # noqa: E402

urlpatterns += [
    path("<str:code>/team/", staffing_views.project_team, name="team"),
    path("<str:code>/team/roles/new/", staffing_views.role_create, name="role_create"),
    path("<str:code>/team/roles/<int:role_id>/suggestions/", staffing_views.role_suggestions, name="role_suggestions"),
    path("<str:code>/team/roles/<int:role_id>/assign/", staffing_views.role_assign, name="role_assign"),
]

# Budget, time and costs (issue 4).
from projects.budget import views as budget_views  # noqa: E402

urlpatterns += [
    path("time/week/", budget_views.timesheet, name="timesheet"),
    path("departments/<str:dept>/budget/", budget_views.department_portfolio, name="department_budget"),
    path("<str:code>/budget/", budget_views.budget_page, name="budget"),
    path("<str:code>/budget/lines/", budget_views.budget_line_add, name="budget_line_add"),
    path("<str:code>/budget/settings/", budget_views.budget_settings, name="budget_settings"),
    path("<str:code>/budget/expenses/", budget_views.expense_add, name="expense_add"),
    path("<str:code>/budget/expenses/<int:pk>/receipt/", budget_views.expense_receipt, name="expense_receipt"),
    path("<str:code>/budget/baselines/", budget_views.baseline_add, name="baseline_add"),
    path("<str:code>/budget/contingency/", budget_views.contingency_request, name="contingency_request"),
    path("<str:code>/budget/contingency/<int:pk>/", budget_views.contingency_decide, name="contingency_decide"),
]
