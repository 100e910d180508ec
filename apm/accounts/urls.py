"""Account URLs: the invitation link. Login and logout are at /login/ and /logout/ (apm/urls.py)."""

from django.urls import path

from apm.accounts import views

app_name = "accounts"

urlpatterns = [
    path("invitation/<str:token>/", views.invitation_accept_view, name="invitation"),
]
