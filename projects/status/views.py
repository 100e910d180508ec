"""The PM's weekly update page: one form, quick on a phone. Thin: reads in ``projects.status.selectors``,
the write in ``projects.status.services``.

The project is looked up with ``access.edit_project`` (its PM, heads of its
departments, administrators); anyone else gets a 404, so nothing is
confirmed to exist.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from apm import access
from apm.dates import parse_date_param
from apm.http import AuthenticatedHttpRequest
from projects.common.lookups import project_or_404
from projects.models import StatusUpdate
from projects.status.forms import NARRATIVE_FIELDS, RATING_FIELDS, StatusUpdateForm
from projects.status.selectors import status_update_initial, status_update_known_facts
from projects.status.services import status_update_record


def _as_of_from(request: AuthenticatedHttpRequest, today: dt.date) -> dt.date:
    return parse_date_param(request.GET.get("as_of"), today)


@login_required
def status_update_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """GET: the weekly update form (today's update, or ``?as_of=YYYY-MM-DD``); POST: save it.

    An update already filed for that date is edited rather than duplicated.
    """
    project = project_or_404(request, code, access.edit_project)
    today = timezone.localdate()
    as_of = _as_of_from(request, today)
    if request.method == "POST":
        as_of = parse_date_param(request.POST.get("as_of"), as_of)
    existing = StatusUpdate.objects.filter(project=project, as_of=as_of).first()
    initial = {} if existing else status_update_initial(project=project, today=today)
    form = StatusUpdateForm(request.POST or None, instance=existing, initial=initial, project=project, today=today)
    if request.method == "POST" and form.is_valid():
        update = status_update_record(form=form, author=request.user)
        messages.success(request, f"Update as of {update.as_of:%-d %b %Y} saved; the next highlight report uses it.")
        return redirect("projects:detail", code=project.code)
    return render(
        request,
        "projects/status/form.html",
        {
            "project": project,
            "form": form,
            "editing": existing,
            "rating_fields": [form[name] for name, _label in RATING_FIELDS],
            "narrative_fields": [form[name] for name in NARRATIVE_FIELDS],
            "number_fields": [form[name] for name in ("percent_complete", "budget_period", "forecast_period")],
            "facts": status_update_known_facts(project=project, today=today),
        },
    )
