"""The project's activity feed: who did what on the project, newest first, fifty a page.

Only people who see the project's internal pages (``apm.access.see_internal``) get it, anyone else a 404.
The filters (kind of object, person) and the cursor (``before``, an instant) come from the query string;
a value the page cannot read is ignored, never an error.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apm import access
from apm.http import AuthenticatedHttpRequest
from projects.activity import selectors
from projects.activity.kinds import KIND_BY_KEY, KINDS
from projects.common.lookups import project_or_404
from projects.common.pages import project_page_flags

#: The largest id a person filter may name (a database integer).
_LARGEST_ID = 2**31 - 1


def _person(value: str | None) -> int | None:
    """The user id of ``?person=``, None for anything that is not one."""
    if value is None or not value.isdigit() or not 0 < int(value) <= _LARGEST_ID:
        return None
    return int(value)


def _instant(value: str | None) -> dt.datetime | None:
    """The instant of ``?before=`` (ISO 8601; without an offset, in the site's time zone), None if unreadable."""
    try:
        instant = parse_datetime(value or "")
    except ValueError:  # well formed but not a date (month 13)
        return None
    if instant is None:
        return None
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    try:
        return instant.astimezone(dt.UTC)
    except OverflowError:  # at the ends of the calendar: 9999-12-31T23:00-05:00 is past the last UTC instant
        return None


@login_required
def activity(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    flags = project_page_flags(request, project)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KIND_BY_KEY else ""
    person_id = _person(request.GET.get("person"))
    page = selectors.project_activity(
        project=project,
        viewer=request.user,
        see_money=flags["see_money"],
        kind=kind,
        person_id=person_id,
        before=_instant(request.GET.get("before")),
    )
    keep = request.GET.copy()
    keep.pop("before", None)
    return render(
        request,
        "projects/activity/activity.html",
        {
            **flags,
            "page": page,
            "kinds": [(each.key, each.label) for each in KINDS],
            "kind": kind,
            "person_id": person_id,
            "filters": keep.urlencode(),
            "older": page.older.isoformat() if page.older else "",
            "paged": "before" in request.GET,
        },
    )
