"""Portal services: share links (create, revoke, open), adding and inviting a client contact.

Each writes its audit row (``apm.accounts.services.audit_record``) in the same
transaction as the change, and refuses with ``apm.errors.Refused`` (changing
nothing) what it will not do, the model's own validation included
(``apm.validation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from apm import access, validation
from apm.accounts.models import AuditKind, Invitation, Role, User
from apm.accounts.services import audit_record, invitation_create, new_token, token_hash
from apm.errors import Refused
from projects.models import ClientContact
from projects.portal.models import ShareLink
from projects.portal.selectors import live_share_link

if TYPE_CHECKING:
    from projects.models import Project


@dataclass(frozen=True)
class NewShareLink:
    """A share link just made and its token (shown once: only its hash is stored)."""

    link: ShareLink
    token: str


def share_link_create(
    *, project: Project, user: User, days: int, label: str = "", now: datetime | None = None
) -> NewShareLink:
    """Make a read-only share link to ``project``'s client status page, valid for ``days`` days.

    ``days`` is 1 to ``APM_SHARE_LINK_MAX_DAYS``; raises ``Refused``
    otherwise. The caller has checked that ``user`` may manage the project's
    share links (``apm.access.manage_share_links``).
    """
    if not 1 <= days <= settings.APM_SHARE_LINK_MAX_DAYS:
        raise Refused(f"A share link lasts 1 to {settings.APM_SHARE_LINK_MAX_DAYS} days.")
    now = now or timezone.now()
    token = new_token()
    with transaction.atomic():
        link = validation.create(
            ShareLink,
            project=project,
            token_hash=token_hash(token),
            label=label.strip()[:120],
            created_by=user,
            expires_at=now + timedelta(days=days),
        )
        audit_record(
            kind=AuditKind.SHARE_LINK_CREATED,
            user=user,
            target=f"share_link:{link.pk}",
            detail={"project": project.code, "expires_at": link.expires_at.isoformat()},
        )
    return NewShareLink(link=link, token=token)


def share_link_revoke(*, link: ShareLink, user: User, now: datetime | None = None) -> bool:
    """Revoke ``link`` at once; True when this call revoked it (False when it already was)."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=user, updated_at=now
        )
        if changed:
            audit_record(
                kind=AuditKind.SHARE_LINK_REVOKED,
                user=user,
                target=f"share_link:{link.pk}",
                detail={"project": link.project.code},
            )
    return bool(changed)


def share_link_open(*, token: str, request: HttpRequest | None = None, now: datetime | None = None) -> ShareLink | None:
    """The live share link for ``token``, counting and logging the opening; None when unknown, revoked or expired.

    Every opening of a live link writes an audit row (``share_link_opened``,
    with the visitor's IP and browser). Openings of dead links are not
    logged as openings.
    """
    now = now or timezone.now()
    link = live_share_link(token=token, now=now)
    if link is None:
        return None
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(open_count=F("open_count") + 1, last_opened_at=now)
        audit_record(
            kind=AuditKind.SHARE_LINK_OPENED,
            request=request,
            target=f"share_link:{link.pk}",
            detail={"project": link.project.code},
        )
    return link


def _username_for(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.lower())[:140] or "client"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base[:140]}-{n}"
    return candidate


def client_contact_invite(*, contact: ClientContact, invited_by: User) -> Invitation:
    """Invite a client contact to the portal: make their login if needed, email a set-password link.

    A contact without a login gets one (role client contact, no usable
    password until the link is used; username from the email). Raises
    ``Refused`` when the contact's login belongs to an internal user (an
    internal person must never be given a client login by a PM), the
    contact (or their login) has no email address, or the login made from
    it would not be valid (``apm.validation``).
    """
    if not contact.email:
        raise Refused("This contact has no email address.")
    with transaction.atomic():
        user = contact.user
        if user is None:
            name = contact.name.split(maxsplit=1)
            user = User(
                username=_username_for(contact.email),
                email=contact.email,
                first_name=(name[0] if name else "")[:150],
                last_name=(name[1] if len(name) > 1 else "")[:150],
                role=Role.CLIENT_CONTACT,
            )
            user.set_unusable_password()
            validation.clean(user)
            user.save()
            contact.user = user
            contact.save(update_fields=["user"])
        elif access.audience_for(user) != access.CLIENT:
            raise Refused("This contact's login is an internal account; an administrator must change it.")
        # A refusal (a login without an address) comes inside the transaction: the login made above goes too.
        return invitation_create(user=user, invited_by=invited_by)


def client_contact_add(
    *, project: Project, name: str, email: str, invite: bool = False, invited_by: User
) -> tuple[ClientContact, Invitation | None]:
    """Add a contact (a person at the client) to ``project``'s client; with ``invite``, invite them at once.

    Audited (who added whom, to which client, from which project). Returns the contact and the invitation
    (None without ``invite``). Raises
    ``Refused`` for a project without a client, a blank name, an email the
    client already has a contact with (case ignored), a value the model
    refuses (a name over 200 characters, an invalid email), or a refused
    invitation (:func:`client_contact_invite`); nothing is written then.
    """
    if project.client_id is None:
        raise Refused("This project has no client to add a contact to.")
    name, email = name.strip(), email.strip()
    if not name:
        raise Refused("Give the contact's name.")
    contact = ClientContact(client_id=project.client_id, name=name, email=email)
    validation.clean(contact, exclude=["client", "user"])
    with transaction.atomic():
        if ClientContact.objects.select_for_update().filter(client_id=project.client_id, email__iexact=email).exists():
            raise Refused(f"{project.client} already has a contact with the email address {email}.")
        contact.save(force_insert=True)
        invitation = client_contact_invite(contact=contact, invited_by=invited_by) if invite else None
        audit_record(
            kind=AuditKind.CLIENT_CONTACT_ADDED,
            user=invited_by,
            target=f"client_contact:{contact.pk}",
            detail={"project": project.code, "client": str(project.client), "email": email, "invited": invite},
        )
    return contact, invitation
