"""Budget routes in the ``projects`` namespace (assembled by ``projects.urls``): a project's budget, receipts,
baselines, contingency and exception plans; the weekly timesheet and a department's budget table."""

from django.urls import path

from apm.exports import export_paths
from projects.budget import approvals, exports, timesheet, views

#: Fixed words: ``projects.urls`` puts these before every ``<code:code>/`` route ("time" looks like a code).
fixed_urlpatterns = [
    path("time/week/", timesheet.timesheet, name="timesheet"),
    *export_paths("time/week/", exports.timesheet_export, name="timesheet_export"),
    path("time/week/entry/", timesheet.time_entry_add, name="time_entry_add"),
    path("time/week/entry/<int:pk>/remove/", timesheet.time_entry_remove, name="time_entry_remove"),
    path("time/week/submit/", timesheet.timesheet_submit, name="timesheet_submit"),
    path("time/timer/", timesheet.timesheet_timer, name="timesheet_timer"),
    path("time/approvals/", approvals.approvals, name="time_approvals"),
    *export_paths("time/approvals/", exports.approvals_export, name="time_approvals_export"),
    path("departments/<code:dept>/budget/", views.department_portfolio, name="department_budget"),
]

urlpatterns = [
    path("<code:code>/time/decide/", approvals.time_decide, name="time_decide"),
    path("<code:code>/budget/", views.budget_page, name="budget"),
    path("<code:code>/budget/lines/", views.budget_line_add, name="budget_line_add"),
    path("<code:code>/budget/lines/<int:pk>/remove/", views.budget_line_remove, name="budget_line_remove"),
    path("<code:code>/budget/settings/", views.budget_settings, name="budget_settings"),
    path("<code:code>/budget/expenses/", views.expense_add, name="expense_add"),
    *export_paths("<code:code>/budget/expenses/", exports.expense_export, name="expenses_export"),
    path("<code:code>/budget/expenses/<int:pk>/receipt/", views.expense_receipt, name="expense_receipt"),
    path("<code:code>/budget/baselines/", views.baseline_add, name="baseline_add"),
    path("<code:code>/budget/contingency/", views.contingency_request, name="contingency_request"),
    path("<code:code>/budget/contingency/<int:pk>/", views.contingency_decide, name="contingency_decide"),
    path("<code:code>/budget/exceptions/<int:pk>/plan/", views.exception_plan, name="exception_plan"),
    path(
        "<code:code>/budget/exceptions/<int:pk>/plan/decide/", views.exception_plan_decide, name="exception_plan_decide"
    ),
]
