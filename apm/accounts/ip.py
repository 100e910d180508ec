"""The client's IP address, aware of the reverse proxies in front of the app.

A proxy appends the address it received the request from to
``X-Forwarded-For``; whatever a client wrote into that header itself stands to
the left. With ``APM_TRUSTED_PROXY_COUNT = N`` the client is therefore the
N-th address from the right, and nothing further left is ever believed. With
N = 0 (the default, in production too: no proxy is trusted unless one is
configured) the header is ignored and ``REMOTE_ADDR`` is the client. Login
throttling (django-axes, through ``AXES_CLIENT_IP_CALLABLE``) and the audit
log both use this one function.

Behind a proxy left at N = 0 every client would have the proxy's address and
five failed logins anywhere would lock everyone out, so the first request
whose address is looked up (a login, an audited event) carrying
``X-Forwarded-For`` while N = 0 logs a warning, once per process.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_warned_about_forwarded_for = False


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _warn_forwarded_for_ignored(remote: str | None) -> None:
    global _warned_about_forwarded_for  # once per process: a proxy would send the header on every request
    if _warned_about_forwarded_for:
        return
    _warned_about_forwarded_for = True
    logger.warning(
        "A request came with an X-Forwarded-For header, but APM_TRUSTED_PROXY_COUNT is 0, so the header is "
        "ignored and the client is taken to be REMOTE_ADDR (%s). If APM runs behind a reverse proxy or load "
        "balancer, every user now has the proxy's address: login throttling would lock them out together and the "
        "audit log would show the proxy. Set APM_TRUSTED_PROXY_COUNT to the number of proxies in front that "
        "append to X-Forwarded-For. Logged once per process.",
        remote,
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client address of ``request`` as a string (IPv4 or IPv6), or None when unknown.

    Falls back to ``REMOTE_ADDR`` when the header holds fewer addresses than
    trusted proxies (the request did not come through all of them).
    """
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    count = getattr(settings, "APM_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        if request.META.get("HTTP_X_FORWARDED_FOR"):
            _warn_forwarded_for_ignored(remote)
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR", "") or "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return _valid(forwarded[-count]) or remote
