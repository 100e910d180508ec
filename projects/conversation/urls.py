"""Comment routes in the ``projects`` namespace (assembled by ``projects.urls``) and the portal's."""

from django.urls import path

from projects.conversation import views

urlpatterns = [
    # Before the anchors' route: "files" would match <str:anchor> too.
    path("<code:code>/comments/files/<int:pk>/", views.comment_file, name="comment_file"),
    path("<code:code>/comments/<str:anchor>/<int:pk>/", views.comment_add, name="comment_add"),
    path("<code:code>/comments/<int:pk>/edit/", views.comment_edit, name="comment_edit"),
    path("<code:code>/comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
]

#: Mounted in ``projects.portal.urls`` (namespace ``portal``).
portal_urlpatterns = [
    path("<code:code>/comments/<str:anchor>/<int:pk>/", views.portal_comment_add, name="comment_add"),
]
