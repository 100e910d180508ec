"""The transport connects to the address the guard checked, names the host in TLS (SNI and certificate check)
and in the Host header, and never follows a redirect."""

from __future__ import annotations

import ssl

import pytest

from apm.outbound import transport
from apm.outbound.guard import Destination


class Refusing(Exception):
    """Stands for the TLS handshake, so that nothing leaves the machine."""


class FakeSocket:
    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def settimeout(self, value: float) -> None:
        self.timeouts.append(value)

    def close(self) -> None:
        pass


def test_https_goes_to_the_checked_address_with_tls_verified_for_the_host(monkeypatch):
    connected, wrapped = [], []

    sock = FakeSocket()

    def create_connection(address, timeout=None, *args, **kwargs):
        connected.append((address, timeout))
        return sock

    def wrap_socket(self, sock, server_hostname=None, **kwargs):
        wrapped.append((server_hostname, self.verify_mode, self.check_hostname))
        raise Refusing

    monkeypatch.setattr(transport.socket, "create_connection", create_connection)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    destination = Destination(scheme="https", host="hooks.example.com", port=443, target="/x", address="93.184.216.34")
    with pytest.raises(Refusing):
        transport.http_request(destination, method="POST", body=b"{}", headers={})
    assert connected == [(("93.184.216.34", 443), 5.0)]
    assert sock.timeouts == [5.0]  # the read timeout, once connected
    assert wrapped == [("hooks.example.com", ssl.CERT_REQUIRED, True)]


def test_the_connect_timeout_is_the_settings(monkeypatch, settings):
    settings.APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS = 2.5
    seen = []

    def create_connection(address, timeout=None, *args, **kwargs):
        seen.append(timeout)
        raise TimeoutError("timed out")

    monkeypatch.setattr(transport.socket, "create_connection", create_connection)
    destination = Destination(scheme="http", host="proxy.internal", port=8080, target="/", address="10.1.1.1")
    with pytest.raises(TimeoutError):
        transport.http_request(destination, method="POST", body=b"{}", headers={})
    assert seen == [2.5]
