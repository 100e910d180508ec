"""The client's IP address, aware of the reverse proxies in front of the app.

A proxy appends the address it received the request from to
``X-Forwarded-For``; whatever a client wrote into that header itself stands to
the left. With ``APM_TRUSTED_PROXY_COUNT = N`` the client is therefore the
N-th address from the right, and nothing further left is ever believed. With
N = 0 (the embedded default: no proxy) the header is ignored and
``REMOTE_ADDR`` is the client. Login throttling (django-axes, through
``AXES_CLIENT_IP_CALLABLE``) and the audit log both use this one function.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client address of ``request`` as a string (IPv4 or IPv6), or None when unknown.

    Falls back to ``REMOTE_ADDR`` when the header holds fewer addresses than
    trusted proxies (the request did not come through all of them).
    """
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    count = getattr(settings, "APM_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR", "") or "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return _valid(forwarded[-count]) or remote
