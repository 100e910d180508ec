"""The Import page's routes (namespace ``imports``, under ``/import/``)."""

from django.urls import path

from projects.importers import views

app_name = "imports"

urlpatterns = [
    path("", views.import_index, name="index"),
    path("<int:pk>/", views.import_job, name="job"),
    path("<int:pk>/map/", views.import_map, name="map"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/file/", views.import_file, name="file"),
    path("presets/<slug:key>.json", views.preset_download, name="preset"),
]
