"""The project list's filter form (django-filter), scoped to what the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from projects.models import Project
from projects.portfolio.selectors import project_filter_categories, project_filter_departments
from projects.rag import RAG

if TYPE_CHECKING:
    from django.http import HttpRequest, QueryDict

    from apm.accounts.models import User


class ProjectFilter(django_filters.FilterSet):
    """Filter by department, RAG and category; ``q`` searches name and code (case-insensitive).

    The department and category choices come from the projects ``user`` may
    see, so the form never names another client's department or category.
    """

    q = django_filters.CharFilter(method="filter_search", label="Search name or code")
    department = django_filters.ModelChoiceFilter(
        field_name="departments", queryset=None, label="Department", empty_label="All departments"
    )
    rag = django_filters.ChoiceFilter(choices=RAG.choices, label="RAG", empty_label="Any RAG")
    category = django_filters.ChoiceFilter(choices=(), label="Category", empty_label="All categories")

    class Meta:
        model = Project
        fields = ["q", "department", "rag", "category"]

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: QuerySet[Project] | None = None,
        *,
        request: HttpRequest | None = None,
        prefix: str | None = None,
        user: User,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        department = self.filters["department"]
        if not isinstance(department, django_filters.ModelChoiceFilter):
            raise TypeError("department is not a model choice filter.")
        department.queryset = project_filter_departments(user=user)
        self.filters["category"].extra["choices"] = [(c, c) for c in project_filter_categories(user=user)]

    def filter_search(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    @property
    def form(self) -> forms.Form:
        form = super().form
        for field in form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        form.fields["q"].widget.attrs.setdefault("placeholder", "Name or code")
        return form
