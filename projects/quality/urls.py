"""Quality routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from projects.quality import views

urlpatterns = [
    path("<code:code>/deliverables/<int:pk>/review/", views.review_create, name="review_create"),
    path("<code:code>/quality/", views.quality_page, name="quality"),
    path("<code:code>/quality/evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("<code:code>/quality/nc/<int:pk>/", views.non_conformance_action, name="nc_action"),
]
