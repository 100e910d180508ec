"""Validators shared by the models of every app."""

from __future__ import annotations

from django.core.validators import RegexValidator, URLValidator

#: Links that pages show as ``<a href>``: web addresses only, so a stored link never runs script
#: (``javascript:``), carries a page of its own (``data:``) or opens another protocol (``ftp:``, ``file:``).
#: Every URL field of every model takes it (tests/projects/delivery/test_evidence_links.py checks them all).
web_url = URLValidator(schemes=["http", "https"], message="Enter a web address that starts with http:// or https://.")

#: A link inside APM: a path from its root (``/projects/X/``), never an address of another site (``//host``,
#: ``/\\host``, ``https:``), so following it can never leave APM. A notification's link takes it.
inside_path = RegexValidator(
    regex=r"\A/(?![/\\])[^\s]*\Z", message="Enter a path inside APM that starts with a single /."
)
