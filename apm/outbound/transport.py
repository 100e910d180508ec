"""One HTTP request to a :class:`~apm.outbound.guard.Destination`, over the standard library's ``http.client``.

The connection goes to the address the guard checked, with the Host header and TLS (SNI and certificate
verification against the name) for the URL's host. Redirects are never followed (``http.client`` follows none).
Waits are bounded: ``APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS`` to connect, ``APM_OUTBOUND_READ_TIMEOUT_SECONDS``
for each read and for the body as a whole; the body read stops at ``APM_OUTBOUND_MAX_RESPONSE_BYTES``.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from apm.outbound.guard import Destination


@dataclass(frozen=True)
class Response:
    """The receiver's answer: ``status`` (HTTP status code), ``location`` (a redirect's Location header, or "")
    and ``body`` (at most the response cap, decoded leniently)."""

    status: int
    location: str
    body: str


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to ``address`` for a request named for ``host``."""

    def __init__(self, host: str, port: int, *, address: str, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self.address = address
        self.read_timeout = read_timeout

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.settimeout(self.read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """As :class:`_PinnedHTTPConnection`, inside TLS whose SNI and certificate check use ``host``."""

    default_port = 443

    def __init__(self, host: str, port: int, *, address: str, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(host, port, address=address, connect_timeout=connect_timeout, read_timeout=read_timeout)
        self.tls = ssl.create_default_context()

    def connect(self) -> None:
        self.sock = self.tls.wrap_socket(self._open(), server_hostname=self.host)


def http_request(destination: Destination, *, method: str, body: bytes, headers: Mapping[str, str]) -> Response:
    """Send one request and read its answer (never a redirect's target). Raises ``OSError`` (refused, reset,
    timed out, TLS failure) or ``http.client.HTTPException`` (a malformed answer); a caller retries those."""
    connection_class = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    read_timeout = float(settings.APM_OUTBOUND_READ_TIMEOUT_SECONDS)
    connection = connection_class(
        destination.host,
        destination.port,
        address=destination.address,
        connect_timeout=float(settings.APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS),
        read_timeout=read_timeout,
    )
    cap = int(settings.APM_OUTBOUND_MAX_RESPONSE_BYTES)
    try:
        connection.request(method, destination.target, body=body, headers=dict(headers))
        answer = connection.getresponse()
        # A receiver that trickles its body byte by byte still answers within one read timeout overall.
        deadline = time.monotonic() + read_timeout
        chunks: list[bytes] = []
        size = 0
        while size < cap and time.monotonic() <= deadline:
            chunk = answer.read1(min(16384, cap - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return Response(
            status=answer.status,
            location=answer.getheader("Location", "") or "",
            body=b"".join(chunks).decode("utf-8", errors="replace"),
        )
    finally:
        connection.close()
