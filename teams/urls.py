"""People URLs: the skills matrix (capacity and a person's page are staffing pages, under /staffing/)."""

from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("", views.skills_matrix, name="matrix"),
]
