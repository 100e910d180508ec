"""Task routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from apm.exports import export_paths
from projects.planning import board_views, views
from projects.planning import plan_views as gantt_views
from projects.planning.plan_import import views as import_views

#: A fixed word: ``projects.urls`` puts it before every ``<code:code>/`` route ("tasks" looks like a code).
fixed_urlpatterns = [
    path("tasks/board/", board_views.managed_board, name="tasks_board_all"),
]

urlpatterns = [
    path("<code:code>/tasks/", views.task_list, name="tasks"),
    *export_paths("<code:code>/tasks/", views.task_export, name="tasks_export"),
    path("<code:code>/tasks/new/", views.task_create, name="task_create"),
    path("<code:code>/plan/", gantt_views.plan_page, name="plan"),
    path("<code:code>/plan/undo/", gantt_views.plan_undo, name="plan_undo"),
    path("<code:code>/plan/tasks/<int:pk>/dates/", gantt_views.task_dates, name="plan_task_dates"),
    path("<code:code>/plan/deliverables/<int:pk>/dates/", gantt_views.deliverable_dates, name="plan_deliverable_dates"),
    path("<code:code>/tasks/import/", import_views.task_import, name="task_import"),
    path("<code:code>/tasks/import/confirm/", import_views.task_import_confirm, name="task_import_confirm"),
    path("<code:code>/tasks/board/", board_views.task_board, name="tasks_board"),
    path("<code:code>/tasks/<int:pk>/", views.task_detail, name="task"),
    path("<code:code>/tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<code:code>/tasks/<int:pk>/move/", views.task_move, name="task_move"),
    path("<code:code>/tasks/<int:pk>/reorder/", views.task_reorder, name="task_reorder"),
    path("<code:code>/tasks/<int:pk>/place/", board_views.task_place, name="task_place"),
    path("<code:code>/tasks/<int:pk>/checklist/", views.checklist_add, name="task_checklist_add"),
    path("<code:code>/tasks/<int:pk>/checklist/<int:item>/tick/", views.checklist_tick, name="task_checklist_tick"),
    path(
        "<code:code>/tasks/<int:pk>/checklist/<int:item>/remove/", views.checklist_remove, name="task_checklist_remove"
    ),
    # Last: the access sweep posts the URLs in this order, and a removed task answers the rest with 404.
    path("<code:code>/tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
]
