"""The Django admin is for administrators only.

Department heads, PMs and team members work in APM's own pages, which are
scoped by ``apm.access``; the admin edits raw rows (foreign keys to any
project, department heads, schedules, the outbox), which no per-model
scoping can make safe for them. So ``is_staff`` alone is not enough: the
user must also be an administrator (role or superuser).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

from apm import access


class ApmAdminSite(admin.AdminSite):
    site_header = "APM administration"
    site_title = "APM admin"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff users who may administer (``apm.access.administer``: the role or a superuser)."""
        user = request.user
        return bool(user.is_staff and access.administer.allows(user))


class ApmAdminConfig(AdminConfig):
    default_site = "apm.admin_site.ApmAdminSite"
