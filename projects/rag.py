"""RAG (red, amber, green) and how published ratings map onto it.

This is the one place where a published rating becomes a RAG. The UK
Government Major Projects Portfolio uses the IPA's five-point Delivery
Confidence Assessment (and, in 2022, a three-point SRO rating); APM reports in
three colours:

=================  =======
published rating   RAG
=================  =======
Green              green
Amber/Green        green
Amber              amber
Amber/Red          red
Red                red
=================  =======

Amber/Green means "successful delivery probable, constant attention needed"
and is reported green; Amber/Red means "successful delivery in doubt, with
major risks in a number of key areas" and is reported red, so that no
project in doubt hides in amber. Case and spacing do not matter
("Amber/red", "amber / red"). Anything else (exemption text, "not in a
position to provide this information") maps to no RAG and is kept as a note.
"""

from __future__ import annotations

import re

from django.db import models


class RAG(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


RATING_TO_RAG: dict[str, RAG] = {
    "green": RAG.GREEN,
    "amber/green": RAG.GREEN,
    "amber": RAG.AMBER,
    "amber/red": RAG.RED,
    "red": RAG.RED,
}

# The canonical spelling of each rating as published, keyed like RATING_TO_RAG.
CANONICAL_RATING: dict[str, str] = {
    "green": "Green",
    "amber/green": "Amber/Green",
    "amber": "Amber",
    "amber/red": "Amber/Red",
    "red": "Red",
}


def normalise_rating(text: str | None) -> str:
    """Lower-case key of a published rating: ``"Amber / red "`` -> ``"amber/red"``."""
    return re.sub(r"\s*/\s*", "/", " ".join((text or "").split())).lower()


def rating_to_rag(text: str | None) -> RAG | None:
    """The RAG for a published rating, or None when the text is not a rating.

    >>> rating_to_rag("Amber/red")
    <RAG.RED: 'red'>
    """
    return RATING_TO_RAG.get(normalise_rating(text))


def canonical_rating(text: str | None) -> str | None:
    """The rating spelled as in the table above (``"Amber/red"`` -> ``"Amber/Red"``), or None."""
    return CANONICAL_RATING.get(normalise_rating(text))
