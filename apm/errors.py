"""The one domain refusal.

A service that will not do what it was asked raises :class:`Refused` with the
sentence to show the user ("Only the project manager may change the budget.",
"Only 400.00 GBP is left in the contingency reserve."). It raises before it
writes anything, or inside the transaction it would have committed, so a
refusal changes nothing. Views catch it, show ``message`` and change nothing;
commands print it. A bare ``ValueError`` or ``KeyError`` from a service is a
bug, not a refusal, and is left to surface as one.
"""

from __future__ import annotations


class Refused(Exception):
    """A service refused: ``message`` says why, in words for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
