"""The project list's filter form (django-filter), scoped to what the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from projects.models import Project
from projects.portfolio.selectors import project_filter_choices
from projects.rag import RAG

if TYPE_CHECKING:
    from django.forms.renderers import BaseRenderer
    from django.http import HttpRequest, QueryDict


def _attrs_html(attrs: dict[str, Any]) -> str:
    """The attributes as Django's ``django/forms/widgets/attrs.html`` writes them (True: bare, False: left out)."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class _TextInput(forms.TextInput):
    """A text input written in Python, the same markup as Django's ``input.html`` without a template render."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
        return mark_safe(  # noqa: S308 - every value is escaped above
            f'<input type="{widget["type"]}" name="{conditional_escape(name)}"{shown}{_attrs_html(widget["attrs"])}>'
        )


class _Select(forms.Select):
    """A select written in Python, the same markup as Django's ``select.html``: the template renders an include
    per option, which cost the list page about a millisecond a select."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(name)}"{_attrs_html(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                raise ValueError("The list filter's selects have no option groups.")
            parts.extend(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
                for option in options
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above


#: What a department or category not on offer answers (the wording of Django's model choice field).
_NOT_OFFERED = {"invalid_choice": "Select a valid choice. That choice is not one of the available choices."}


class ProjectFilter(django_filters.FilterSet):
    """Filter by department, RAG and category; ``q`` searches name and code (case-insensitive).

    The department and category choices come from the projects the user may
    see (``seen``: their ids, ``access.see_project.ids``), so the form never
    names another client's department or category.
    Both are read in one query, as plain choices, when the filter is made.
    """

    q = django_filters.CharFilter(method="filter_search", label="Search name or code", widget=_TextInput)
    department = django_filters.ChoiceFilter(
        field_name="departments",
        choices=(),
        label="Department",
        empty_label="All departments",
        widget=_Select,
        error_messages=_NOT_OFFERED,
    )
    rag = django_filters.ChoiceFilter(choices=RAG.choices, label="RAG", empty_label="Any RAG", widget=_Select)
    category = django_filters.ChoiceFilter(choices=(), label="Category", empty_label="All categories", widget=_Select)

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
        seen: frozenset[int] | None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        choices = project_filter_choices(seen=seen)
        self.filters["department"].extra["choices"] = choices.departments
        self.filters["category"].extra["choices"] = [(c, c) for c in choices.categories]

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
