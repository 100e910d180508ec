"""Chat channel routes in the ``projects`` namespace (assembled by ``projects.urls``)."""

from django.urls import path

from projects.chat import views

urlpatterns = [
    path("<code:code>/chat/", views.chat_hooks, name="chat"),
    path("<code:code>/chat/<int:pk>/", views.chat_hook_edit, name="chat_hook"),
    path("<code:code>/chat/<int:pk>/test/", views.chat_hook_test, name="chat_hook_test"),
    path("<code:code>/chat/deliveries/<int:pk>/retry/", views.chat_delivery_retry, name="chat_retry"),
    path("<code:code>/chat/<int:pk>/remove/", views.chat_hook_remove, name="chat_hook_remove"),
]
