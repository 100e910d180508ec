"""Report URLs. ``reports:index`` is /reports/; unknown codes and non-numeric ids are 404."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("project/<str:code>/", views.project_reports, name="project"),
    path("project/<str:code>/send/", views.project_send_now, name="project_send"),
    path("department/<str:code>/", views.department_reports, name="department"),
    path("department/<str:code>/send/", views.department_send_now, name="department_send"),
    path("<int:pk>/pdf/", views.report_pdf, name="pdf"),
]
