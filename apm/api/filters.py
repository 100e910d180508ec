"""Filters every endpoint shares."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from apm.dates import MAX_ID


class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number a database id holds (1 to 2**63-1), else a 400 problem (SQLite cannot even
    compare a larger one, PostgreSQL fails on it)."""

    field_class = forms.IntegerField  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


def id_filter(field_name: str, label: str) -> IdFilter:
    """An :class:`IdFilter` on ``field_name``."""
    return IdFilter(field_name=field_name, label=label)
