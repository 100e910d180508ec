"""The SSRF guard: https only, no user info, every resolved address public, unless an administrator allowed the
host."""

from __future__ import annotations

import ipaddress

import pytest

from apm.outbound.guard import GuardRefused, address_refusal, destination_resolve, url_check
from apm.outbound.models import AllowedHost

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("172.16.3.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "the cloud metadata address"),
        ("fd00:ec2::254", "the cloud metadata address"),
        ("169.254.10.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("100.64.0.1", "a shared (CGNAT) address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104
        ("::", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("::ffff:127.0.0.1", "a loopback address inside an IPv6 address"),
        ("::ffff:10.1.2.3", "a private address inside an IPv6 address"),
        ("2002:a00:1::", "a private address inside an IPv6 address"),
        ("64:ff9b::a9fe:a9fe", "the cloud metadata address inside an IPv6 address"),
    ],
)
def test_it_refuses_every_address_that_is_not_public(address, reason):
    assert address_refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_it_lets_public_addresses_through(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("ftp://hooks.example.com/x", "starting with https://"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
        ("https://user@hooks.example.com/x", "user name or password"),
        ("https:///nohost", "starting with https://"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("not a url", "starting with https://"),
    ],
)
def test_it_refuses_urls_of_the_wrong_form(url, said):
    with pytest.raises(GuardRefused, match=said):
        url_check(url)


def test_it_lets_an_allowed_host_use_http_and_reach_its_private_address(monkeypatch):
    AllowedHost.objects.create(host="Proxy.Internal", allow_http=True, note="the chat proxy")
    monkeypatch.setattr("apm.outbound.guard.socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.1.1", 8080))])
    destination = destination_resolve("http://proxy.internal:8080/slack?x=1")
    assert (destination.scheme, destination.host, destination.address, destination.port, destination.target) == (
        "http",
        "proxy.internal",
        "10.1.1.1",
        8080,
        "/slack?x=1",
    )


def test_an_allowed_host_without_allow_http_stays_https_only():
    AllowedHost.objects.create(host="proxy.internal")
    with pytest.raises(GuardRefused, match="must use https"):
        url_check("http://proxy.internal/x")


def test_it_refuses_a_name_with_one_private_address_among_public_ones(monkeypatch):
    monkeypatch.setattr(
        "apm.outbound.guard.socket.getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", ("93.184.216.34", 443)), (10, 1, 6, "", ("fd12::1", 443, 0, 0))],
    )
    with pytest.raises(GuardRefused, match=r"refused: hooks.example resolves to fd12::1, a private address"):
        destination_resolve("https://hooks.example/x")


def test_it_refuses_localhost_by_name():
    with pytest.raises(GuardRefused, match=r"refused: localhost resolves to .*loopback"):
        destination_resolve("https://localhost/x")


def test_it_refuses_a_literal_ipv6_loopback():
    with pytest.raises(GuardRefused, match=r"refused: ::1 is a loopback address"):
        destination_resolve("https://[::1]:8443/x")
