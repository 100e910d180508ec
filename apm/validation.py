"""The model's own validation for every service write: ``save()`` alone runs no validator.

A service that writes a model from what a user typed or uploaded runs the
model's field validation first (validators such as ``apm.validators.web_url``,
choices, lengths, digits, minimum and maximum values) through :func:`clean`
or :func:`create`, and so refuses with :class:`apm.errors.Refused` what the
model would not hold, in words: "Evidence link: Enter a web address that
starts with http:// or https://.".

Left to the database, which enforces them anyway and would need queries
here: uniqueness, ``Meta.constraints`` and whether a foreign key's row
exists (services pass loaded objects, not ids typed by a user).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst

from apm.errors import Refused

M = TypeVar("M", bound=models.Model)


def _label(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    words = field.verbose_name if isinstance(field, models.Field) else name.replace("_", " ")
    return capfirst(str(words))


def _message(model: type[models.Model], error: ValidationError) -> str:
    """``error`` from ``model``'s validation as one sentence per field: ``"Name: Ensure this value ..."``.

    Fields are named by their ``verbose_name``, capitalised, in the model's field order.
    """
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for name, messages in error.message_dict.items():
        text = " ".join(messages)
        parts.append(text if name == NON_FIELD_ERRORS else f"{_label(model, name)}: {text}")
    return " ".join(parts)


def clean(obj: models.Model, *, exclude: Iterable[str] = (), fields: Iterable[str] | None = None) -> None:
    """Run ``obj``'s field validation; raise :class:`Refused` naming each field it refuses, changing nothing.

    ``exclude``: field names not to check (e.g. a file field filled just
    after this check). ``fields``: check only these (a ``save(update_fields=...)``
    writes no other, and an old row's other values are not this write's to
    refuse). Makes no query: uniqueness, constraints and foreign keys are
    the database's.
    """
    meta = obj._meta
    skipped = set(exclude)
    # A foreign key's check is a query for its row; the database's foreign key refuses a missing one anyway.
    skipped |= {field.name for field in meta.concrete_fields if field.is_relation}
    if fields is not None:
        wanted = set(fields)
        skipped |= {f.name for f in meta.concrete_fields if f.name not in wanted and f.attname not in wanted}
    try:
        obj.full_clean(exclude=sorted(skipped), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise Refused(_message(type(obj), exc)) from exc


def create(model: type[M], /, *, exclude: Iterable[str] = (), **values: Any) -> M:
    """``model.objects.create(**values)`` after :func:`clean`: refused (:class:`Refused`) before anything is written."""
    obj = model(**values)
    clean(obj, exclude=exclude)
    obj.save(force_insert=True)
    return obj
