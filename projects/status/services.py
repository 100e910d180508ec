"""The one write of the weekly update: record it, move the project's RAG, re-check the budget tolerances."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from projects.budget.services.checks import budget_check
from projects.models import StatusUpdate
from projects.rag import RAG

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.status.forms import StatusUpdateForm


def status_update_record(*, form: StatusUpdateForm, author: User) -> StatusUpdate:
    """Save a valid weekly update by ``author`` and make its overall RAG the project's current RAG.

    Only when it is the project's newest update does ``Project.rag`` change.
    The new percent complete moves earned value, so the budget tolerances
    are checked again (``projects.budget.services.checks.budget_check``: an
    exception is raised once per breach). Raises ``ValueError`` when the
    form is not valid.
    """
    if not form.is_valid():
        raise ValueError("The update form is not valid.")
    project = form.project
    with transaction.atomic():
        update = form.save(commit=False)
        update.project = project
        update.author = author
        if not update.source:
            update.source = "weekly-update"
        if not update.rating_published and update.rag:
            update.rating_published = RAG(update.rag).label
        update.save()
        newest = StatusUpdate.objects.filter(project=project).order_by("-as_of").values_list("pk", flat=True).first()
        if newest == update.pk and project.rag != update.rag:
            project.rag = update.rag
            project.save(update_fields=["rag", "updated_at"])
        budget_check(project=project)
    return update
