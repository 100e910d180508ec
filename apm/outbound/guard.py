"""The SSRF guard: where an outbound request may go, decided when it is sent (and, for the syntax, when a URL is
saved).

A URL must be https, unless its host is an :class:`~apm.outbound.models.AllowedHost` with ``allow_http`` (or
``settings.APM_OUTBOUND_ALLOW_HTTP`` is on: development only); it may not carry a user name or password. Its host
is resolved (``socket.getaddrinfo``) and refused when ANY of its addresses is not a public one: loopback, private,
link-local, multicast, reserved, unspecified, shared (CGNAT, 100.64.0.0/10), IPv6 unique-local or link-local, an
IPv4 address inside an IPv6 one (mapped, 6to4, Teredo, NAT64) that is any of these, or a cloud metadata address
(169.254.169.254, fd00:ec2::254). A host on the administrators' allowed list skips the address rules. The answer
is a :class:`Destination` holding the one address that was checked: the delivery connects to it, never resolving
the name again (a second lookup could answer differently: DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from apm.outbound.models import AllowedHost

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")},
)
SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class GuardRefused(Exception):
    """A URL or address the guard refuses: permanent, never retried. ``message`` is a sentence for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Destination:
    """Where to send: ``scheme`` (http or https), ``host`` (the name, for the Host header and TLS), ``port``,
    ``target`` (path and query, at least ``/``) and ``address`` (the checked IP to connect to)."""

    scheme: str
    host: str
    port: int
    target: str
    address: str


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached ("a private address"), or None for a public address."""
    if address in METADATA_ADDRESSES:
        return "the cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"{reason} inside an IPv6 address" if reason else None
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in SHARED_V4, "a shared (CGNAT) address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), None)


def allowed_host(host: str) -> AllowedHost | None:
    """The administrators' :class:`AllowedHost` row for ``host`` (lower case), or None."""
    return AllowedHost.objects.filter(host=host.lower().rstrip(".")).first()


def url_check(url: str) -> SplitResult:
    """``url`` split, if its form may be sent to: http(s), a host, no user name or password, a numeric port,
    https unless the host is allowed plain http. Raises :class:`GuardRefused` with a sentence otherwise. Makes no
    DNS lookup (a URL is saved with this check; its addresses are checked when a request is sent)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise GuardRefused("The address is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GuardRefused("The address must be a web address starting with https://.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise GuardRefused("The address may not carry a user name or password (user@host).")
    if port == 0:
        raise GuardRefused("The address has no valid port.")
    if parts.scheme == "http" and not settings.APM_OUTBOUND_ALLOW_HTTP:
        allowed = allowed_host(parts.hostname)
        if allowed is None or not allowed.allow_http:
            raise GuardRefused(
                f"The address must use https: plain http to {parts.hostname} is not allowed by an administrator."
            )
    return parts


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise GuardRefused(f"{host} is not a valid host name.") from None


def destination_resolve(url: str) -> Destination:
    """Check ``url`` (:func:`url_check`), resolve its host and check every address; the first address to connect
    to. Raises :class:`GuardRefused` ("refused: api.example resolves to 10.0.0.5, a private address"), or
    ``OSError`` (``socket.gaierror``) when the name does not resolve now: that may pass, so it is retried."""
    parts = url_check(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    lookup = host.strip("[]") if ":" in host else _ascii_host(host)  # an IPv6 literal has colons, a name none
    infos = socket.getaddrinfo(lookup, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0") is no part of the address
        addresses.append(ipaddress.ip_address(raw))
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    if allowed_host(host) is None:
        for address in addresses:
            reason = address_refusal(address)
            if reason:
                if str(address) == lookup:
                    raise GuardRefused(f"refused: {host} is {reason}")
                raise GuardRefused(f"refused: {host} resolves to {address}, {reason}")
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return Destination(scheme=parts.scheme, host=host, port=port, target=target, address=str(addresses[0]))
