"""Correspondence routes in the ``projects`` namespace (assembled by ``projects.urls``): the log, an entry,
its status and attachments, and letters."""

from django.urls import path

from apm.exports import export_paths
from projects.correspondence import views

urlpatterns = [
    path("<code:code>/correspondence/", views.correspondence_list, name="correspondence"),
    *export_paths("<code:code>/correspondence/", views.correspondence_export, name="correspondence_export"),
    path("<code:code>/correspondence/new/", views.correspondence_create, name="correspondence_create"),
    path("<code:code>/correspondence/letter/", views.letter_create, name="letter_create"),
    path("<code:code>/correspondence/<int:pk>/", views.correspondence_detail, name="correspondence_entry"),
    path("<code:code>/correspondence/<int:pk>/status/", views.correspondence_status, name="correspondence_status"),
    path("<code:code>/correspondence/<int:pk>/attach/", views.correspondence_attach, name="correspondence_attach"),
    path("<code:code>/correspondence/files/<int:pk>/", views.attachment_download, name="correspondence_file"),
]
