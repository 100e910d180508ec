"""Report URLs. ``reports:index`` is /reports/; unknown codes and non-numeric ids are 404."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("project/<code:code>/", views.project_reports, name="project"),
    path("project/<code:code>/send/", views.project_send_now, name="project_send"),
    path("department/<code:code>/", views.department_reports, name="department"),
    path("department/<code:code>/send/", views.department_send_now, name="department_send"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/pdf/", views.report_pdf, name="pdf"),
    path("archive/", views.report_archive, name="archive"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/projects/", views.schedule_projects, name="schedule_projects"),
    path("schedules/<int:pk>/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/toggle/", views.schedule_toggle, name="schedule_toggle"),
    path("schedules/<int:pk>/send/", views.schedule_send_now, name="schedule_send"),
    path("schedules/<int:pk>/recipients/resume/", views.schedule_recipient_resume, name="schedule_recipient_resume"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("schedules/<int:pk>/preview.<str:fmt>", views.schedule_preview, name="schedule_preview"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/resend/", views.outbox_resend, name="outbox_resend"),
]
