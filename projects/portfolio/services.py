"""Writes of the portfolio domain: saving a project, and pointing it at another client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.errors import Refused
from projects.portal.models import ShareLink

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Project
    from projects.portfolio.forms import ProjectForm


def project_save(*, form: ProjectForm, user: User, old_client_id: int | None = None) -> Project:
    """Save a valid project form for ``user``, in one transaction.

    ``old_client_id`` is the client the project had before the edit (None
    when creating). When the client changed, :func:`project_client_changed`
    retires what the old client's contacts had. Raises :class:`Refused`,
    saving nothing, when ``user`` could no longer see the project afterwards
    (nobody saves a project away from themselves) or changed the client
    without ``access.change_client``.
    """
    creating = form.instance.pk is None
    with transaction.atomic():
        project = form.save()
        if not access.see_project.allows(user, project):
            transaction.set_rollback(True)
            raise Refused(
                "You would no longer be able to see this project: make yourself its project manager "
                "or a reporting head, or choose a department you head."
            )
        if not creating and project.client_id != old_client_id:
            project_client_changed(project=project, old_client_id=old_client_id, user=user)
    return project


def project_client_changed(*, project: Project, old_client_id: int | None, user: User) -> int:
    """After ``project`` was pointed at another client: revoke its share links and log the change.

    The old client's contacts lose the status page with the link to their
    client (``access.see_project`` follows ``project.client``); share links
    are bearer links, so every live one is revoked. Writes one audit row
    (``project_client_changed``, old and new client ids, links revoked).
    Returns how many links were revoked. Raises :class:`Refused` unless
    ``user`` may change the client: an administrator or a head of one of the
    project's departments (checked against the departments before the edit
    too, by the caller's form, which offers the field only to them).
    """
    if not access.change_client.allows(user, project):
        raise Refused("Only an administrator or a head of the project's departments may change its client.")
    now = timezone.now()
    revoked = ShareLink.objects.filter(project=project, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=user, updated_at=now
    )
    audit_record(
        kind=AuditKind.PROJECT_CLIENT_CHANGED,
        user=user,
        target=f"project:{project.code}",
        detail={"from_client": old_client_id, "to_client": project.client_id, "share_links_revoked": revoked},
    )
    return revoked
