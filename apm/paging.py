"""A page of a list for a view: the page asked for, and the query string its links keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.models import QuerySet
    from django.http import HttpRequest


def page_of(request: HttpRequest, items: QuerySet[Any] | Sequence[Any], per_page: int) -> tuple[Page[Any], str]:
    """The page of ``items`` that ``?page=`` asks for (the last for a number past it, the first for no number),
    and the request's query string without ``page``: the filters the page's links keep."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
