"""The login backend: Django's, loading with each request's user what the access policy asks of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

if TYPE_CHECKING:
    from apm.accounts.models import User


class ApmModelBackend(ModelBackend):
    """Django's ``ModelBackend``; the user of a request comes with their person and client-contact rows.

    The navigation of every page asks ``apm.access`` whether the user keeps a
    timesheet (a ``TeamMember``) and whether they are a client's contact: the
    two reverse one-to-one rows are joined here instead of costing a query
    each on every page.
    """

    def get_user(self, user_id: Any) -> User | None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("team_member", "client_contact").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
