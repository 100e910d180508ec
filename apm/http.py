"""Request types for views, for the type checker only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from apm.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view that only a signed-in user reaches: ``request.user`` is a :class:`User`.

    Annotate a view's ``request`` with it when the view is decorated with
    ``login_required`` (or sits behind another check that turns anonymous
    users away before the view runs); Django's ``HttpRequest.user`` is
    ``User | AnonymousUser``, and this narrows it without a cast. It changes
    nothing at run time: Django still passes its own ``HttpRequest``.

    A view that also answers anonymous users (the login page, share links,
    health checks) keeps ``HttpRequest``; a function that takes either kind of
    user takes ``apm.access.base.AnyUser``.
    """

    user: User


class HtmxRequest(AuthenticatedHttpRequest):
    """A signed-in user's request with django-htmx's ``request.htmx`` (``HtmxMiddleware`` sets it on every
    request), for views that answer htmx with a fragment and a plain request with the whole page."""

    htmx: HtmxDetails
