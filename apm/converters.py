"""URL path converters shared by the apps.

A project or department code in a URL is one path segment of letters,
digits, ``_``, ``.`` and ``-`` that starts with a letter or digit. Anything
else (a slash, a NUL byte, ``..``) never reaches a view: it is a 404 before
any database query, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from django.core.validators import RegexValidator

CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}"

#: Codes that are also fixed URL words under /projects/ and cannot name a project.
RESERVED_PROJECT_CODES = frozenset({"new", "time", "departments", "desk", "rates", "clients", "invoices", "templates"})

code_validator = RegexValidator(
    regex=rf"\A{CODE_PATTERN}\Z",
    message="Use 1 to 40 letters, digits, '_', '.' or '-', starting with a letter or digit (no spaces or slashes).",
)


class CodeConverter:
    """``<code:name>``: a project or department code (see :data:`CODE_PATTERN`)."""

    regex = CODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
