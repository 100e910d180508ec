"""Budget emails (exceptions, threshold alerts, contingency decisions), through the one email outbox."""

from __future__ import annotations

import logging
from typing import Any

from apm import access
from apm.accounts.models import User
from apm.outbox.services import email_render, outbox_enqueue
from projects.models import Project

logger = logging.getLogger(__name__)


def _recipients(project: Project, capability: access.Capability = access.see_money) -> list[str]:
    """The PM, every reporting head and the heads of the project's departments (addresses, deduplicated).

    Budget emails carry the project's money: only those who may see it (``capability``: ``access.see_money``,
    or ``access.see_margin`` for an email about margin) get them.
    """
    users = list(project.reporting_heads.all())
    users += User.objects.filter(headed_departments__projects=project).distinct().order_by("pk")
    if project.project_manager is not None:
        users.insert(0, project.project_manager)
    seen, out = set(), []
    for user in users:
        address = (user.email or "").strip()
        if address and address.lower() not in seen and capability.allows(user, project):
            seen.add(address.lower())
            out.append(address)
    return out


def budget_notify(
    *,
    project: Project,
    template: str,
    context: dict[str, Any],
    to: list[str] | None = None,
    capability: access.Capability = access.see_money,
) -> None:
    """One outbox email from ``templates/emails/<template>-subject|body-text|body-html``.

    ``to`` defaults to the PM and the heads who have ``capability`` on the project (its money, by default);
    with nobody to tell, nothing is sent (logged).
    """
    recipients = to if to is not None else _recipients(project, capability)
    if not recipients:
        logger.warning("No one to notify about %s for %s", template, project.code)
        return
    context = {"project": project, **context}
    outbox_enqueue(
        kind="notification",
        to=recipients,
        **email_render(template, context),
    )
