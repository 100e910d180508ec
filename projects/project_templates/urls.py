"""Project template routes in the ``projects`` namespace (assembled by ``projects.urls``).

``templates/...`` are fixed words: ``projects.urls`` puts them before every ``<code:code>/`` route
("templates" is a reserved project code, ``apm.converters.RESERVED_PROJECT_CODES``). A template's
delete comes last of its URLs (the access sweep posts them in this order).
"""

from django.urls import path

from projects.project_templates import views

fixed_urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("templates/<int:pk>/use/", views.template_use, name="template_use"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]

urlpatterns = [
    path("<code:code>/save-as-template/", views.template_save, name="template_save"),
]
