"""Pages of the notification centre: the list, the bell's count, opening one, marking read, the settings.

Every signed-in user has a centre (internal users in the internal pages,
client contacts in the portal's frame). A notification is its recipient's
alone: every lookup filters on the request's user, so anyone else's is a
404. Opening one marks it read and redirects to its link, which is only
ever a path inside APM (``services.is_inside_path``: no open redirect).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_on_form
from apm.http import AuthenticatedHttpRequest
from apm.paging import page_of
from projects.models import Notification
from projects.notifications import forms, selectors, services

PER_PAGE = 30


def _frame(request: AuthenticatedHttpRequest) -> str:
    """The page frame: the internal pages' for internal users, the portal's for client contacts."""
    return "base.html" if access.see_workspace.allows(request.user) else "portal/base.html"


@login_required
@require_GET
def centre(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All of the user's notifications, newest first, 30 a page; unread ones marked."""
    page, query = page_of(request, selectors.notifications_of(user=request.user), PER_PAGE)
    return render(
        request,
        "projects/notifications/centre.html",
        {"frame": _frame(request), "page": page, "query": query, "notifications": list(page)},
    )


@login_required
@require_GET
def bell(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The bell's unread count (an htmx fragment the top bar loads after the page: no page's queries change)."""
    return render(request, "projects/notifications/_bell.html", {"unread": selectors.unread_count(user=request.user)})


@login_required
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to its link (the centre when it has none); another's is a 404.

    Any method: the link is followed with GET, and whatever the method, another's notification is a 404 before
    anything else is said about it."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification.") from exc
    if notification.url and services.is_inside_path(notification.url):
        return redirect(notification.url)
    return redirect("notifications:centre")


def _back(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Back to the centre's page the form was on (``page`` of the POST, a number or nothing)."""
    page = request.POST.get("page", "")
    url = reverse("notifications:centre")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; another's is a 404."""
    try:
        services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification.") from exc
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark every notification of the user read."""
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request, f"{count} notification{'s' if count != 1 else ''} marked read." if count else "Nothing was unread."
    )
    return _back(request)


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How the user hears of each kind of notification: in APM, email at once, the daily digest, or not at all."""
    form = forms.PreferencesForm(request.POST or None, rows=selectors.preferences_of(user=request.user))
    if request.method == "POST" and form_valid_or_shown(request, form):
        with refusal_on_form(form):
            services.preferences_save(user=request.user, channels=form.channels())
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:preferences")
    return render(request, "projects/notifications/preferences.html", {"frame": _frame(request), "form": form})
