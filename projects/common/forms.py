"""Form pieces several domains share: the date input, the people who may own a project's work, and the
choices of a model choice field set per form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from apm import access

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from apm.accounts.models import User
    from projects.models import Project

#: A date field's widget: the browser's date picker, which reads and writes ISO dates.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def work_owners(project: Project) -> QuerySet[User]:
    """People who may own work on ``project`` (a deliverable, a corrective action, a RAID item): its PM and
    the team members with a login, by first name."""
    return (
        access.internal_users()
        .filter(
            pk__in=[
                *project.team_members.exclude(user=None).values_list("user_id", flat=True),
                *([project.project_manager_id] if project.project_manager_id else []),
            ]
        )
        .order_by("first_name", "username")
    )


def limit_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Offer ``queryset`` in the model choice field ``name`` of ``form`` (single or multiple choice).

    ``form.fields`` holds plain ``Field`` to the type checker; raises ``TypeError`` if ``name`` is not a
    model choice field.
    """
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field.")
    field.queryset = queryset
