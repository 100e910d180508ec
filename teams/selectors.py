"""Reads of the teams app."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from teams.models import MemberRate


def member_rate_on(*, member_id: int, on: dt.date) -> MemberRate | None:
    """The rate of member ``member_id`` valid on date ``on``, or None when none is."""
    return (
        MemberRate.objects.filter(member_id=member_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )
