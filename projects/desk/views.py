"""The PM's desk page: what needs action today across the user's projects, each item linking to where it is done."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apm import access
from apm.http import AuthenticatedHttpRequest
from projects.desk.selectors import desk_for


@login_required
def desk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The desk of the logged-in internal user (client contacts 404); a fixed number of queries."""
    if not access.see_workspace.allows(request.user):
        raise Http404("No such page.")
    today = timezone.localdate()
    return render(request, "projects/desk/desk.html", {"desk": desk_for(user=request.user, today=today)})
