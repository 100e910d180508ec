"""The project list as CSV or XLSX: the projects the list shows with its filters (every page), its columns, and
the budget at completion only where the list shows it (``access.see_money``, per project)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse

from apm import access
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.portfolio import selectors
from projects.portfolio.filters import ProjectFilter

COLUMNS = ("Code", "Name", "Client", "Departments", "RAG", "Category", "End date")
MONEY_COLUMNS = ("BAC", "Currency")
LAST_COLUMNS = ("Latest rating", "Rating as of")


@login_required
def project_list_export(request: AuthenticatedHttpRequest, fmt: str) -> StreamingHttpResponse:
    """The list's projects, filtered as on the page; BAC and currency columns when any of them shows its money."""
    export_format(fmt)
    user = request.user
    seen = access.see_project.ids(user)
    projects = ProjectFilter(request.GET or None, queryset=selectors.project_list(user=user, seen=seen), seen=seen).qs
    show_money = projects.filter(money_visible=True).exists()

    def row(p: Any) -> list[Any]:
        cells = [
            p.code,
            p.name,
            str(p.client) if p.client else "",
            " ".join(d.code for d in p.department_list),
            p.get_rag_display() if p.rag else "",
            p.category,
            p.end_date,
        ]
        if show_money:
            cells += [p.bac, p.currency] if p.money_visible else [None, ""]
        return [*cells, p.latest_rating or "", p.latest_as_of]

    columns = (*COLUMNS, *(MONEY_COLUMNS if show_money else ()), *LAST_COLUMNS)
    return table_response(
        rows=(row(p) for p in projects.iterator(chunk_size=500)),
        columns=columns,
        filename=export_filename("projects", "", fmt),
        fmt=fmt,
        sheet="Projects",
    )
