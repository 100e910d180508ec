"""People pages of the teams app: the skills matrix. Thin: reads go through teams.selectors.

People are looked up inside ``apm.access.see_member``; anything else is a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apm import access
from apm.forms import IdChoiceField, IdMultipleChoiceField
from apm.http import AuthenticatedHttpRequest
from apm.paging import page_of
from teams import selectors
from teams.models import Department, Level, Skill

PAGE_SIZE = 100


class _ListedChoices(ModelChoiceIterator):
    """A filter's choices read as one plain query: ``ModelChoiceIterator`` streams them through a server-side
    cursor, three round trips on PostgreSQL for a few dozen departments or skills."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class MatrixFilter(forms.Form):
    department = IdChoiceField(queryset=Department.objects.none(), required=False, empty_label="All")
    skills = IdMultipleChoiceField(queryset=Skill.objects.none(), required=False)
    q = forms.CharField(label="Name", required=False, max_length=100)

    def __init__(self, *args: Any, departments: QuerySet[Department], skills: QuerySet[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (("department", departments), ("skills", skills)):
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                field.iterator = _ListedChoices
                field.queryset = choices
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if field.widget.input_type == "select"
                else ("form-control form-control-sm")
            )


@login_required
def skills_matrix(request: AuthenticatedHttpRequest) -> HttpResponse:
    """People by skills with levels 1-5, filterable by department, skills and name (100 people a page).

    Clients (who see nobody) get a 404. A fixed number of queries whatever the number of people.
    """
    if not access.see_workspace.allows(request.user):
        raise Http404("No such page.")
    members = access.see_member.queryset(request.user)
    departments = Department.objects.filter(pk__in=members.values("department")).order_by("code")
    form = MatrixFilter(
        request.GET or None, departments=departments, skills=selectors.held_skills(members=members).order_by("name")
    )
    skill_ids: list[int] = []
    if form.is_valid():
        if form.cleaned_data["department"]:
            members = members.filter(department=form.cleaned_data["department"])
        if form.cleaned_data["q"]:
            members = members.filter(name__icontains=form.cleaned_data["q"])
        skill_ids = [s.pk for s in form.cleaned_data["skills"]]
        if skill_ids:
            members = members.filter(skills__skill_id__in=skill_ids).distinct()
    members = members.select_related("department", "job_role").order_by("name", "pk")
    page, query = page_of(request, members, PAGE_SIZE)
    skills = selectors.matrix_skills(members=members, skill_ids=skill_ids)
    return render(
        request,
        "teams/skills_matrix.html",
        {
            "form": form,
            "page": page,
            "skills": skills,
            "rows": selectors.skills_matrix(members=list(page.object_list), skills=skills),
            "levels": Level.choices,
            "query": query,
            # A person's link is this prefix, their id and "/": one reverse() a page instead of one a row.
            "person_prefix": reverse("staffing:person", args=[0]).removesuffix("0/"),
        },
    )
