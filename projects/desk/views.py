"""The desk page: a PM's projects worst first and what needs action today; a department head's decisions.

The same URL for both: a user who heads a department with projects
(``projects.desk.selectors.headed_departments``) sees the head's desk,
everyone else internal the PM's desk.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apm import access
from apm.http import AuthenticatedHttpRequest
from projects.desk.selectors import LIST_SHOWN, desk_for, head_desk_for, pm_rows


@login_required
def desk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The desk of the logged-in internal user (client contacts 404); a fixed number of queries. The projects
    come ``projects.desk.selectors.PROJECTS_PER_PAGE`` a page, worst first (``?page=``, taken as
    ``Paginator.get_page`` takes it: junk gives page 1, past the end the last page); each of the PM's to-do lists
    shows its first ``LIST_SHOWN`` items, all of them with ``?all=1``."""
    if not access.see_workspace.allows(request.user):
        raise Http404("No such page.")
    today = timezone.localdate()
    page = request.GET.get("page")
    head = head_desk_for(user=request.user, today=today, page=page)
    if head is not None:
        return render(request, "projects/desk/head.html", {"head": head})
    desk = desk_for(user=request.user, today=today)
    shown, rows = pm_rows(user=request.user, desk=desk, page=page)
    every = request.GET.get("all") == "1"
    context = {
        "desk": desk,
        "page": shown,
        "rows": rows,
        "every": every,
        # The ``slice`` filter's argument: each list's first LIST_SHOWN items, or all of them ("").
        "cut": "" if every else f":{LIST_SHOWN}",
        "hidden": desk.hidden(None if every else LIST_SHOWN),
    }
    return render(request, "projects/desk/desk.html", context)
