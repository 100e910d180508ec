"""Template tags of the document register: the portal's "shared documents" section."""

from __future__ import annotations

from django import template

from projects.documents.selectors import shared_documents

register = template.Library()


@register.inclusion_tag("projects/documents/_portal_shared.html")
def shared_documents_section(project, shared=None) -> dict:
    """Documents of ``project`` shared with the client (2 queries); downloads go through the access-checked view.

    On a share-link page (``shared``: no login) the titles are listed without
    download links: the files need a signed-in client contact.
    """
    return {"project": project, "documents": shared_documents(project=project), "shared": shared}
