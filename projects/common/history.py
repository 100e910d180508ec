"""The change history of an object (django-simple-history): the save that stamps it, and rows a page can show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.db.models import Model
from django.utils import formats, timezone

from apm import validation

if TYPE_CHECKING:
    from django.db.models import Field
    from django.db.models.options import Options

    from apm.accounts.models import User

HIDDEN = {"id", "history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def history_save(obj: Model, *, user: User | None, reason: str, fields: list[str] | None = None) -> None:
    """Validate ``obj`` (``apm.validation.clean``: only ``fields`` when given), then save it with the
    history entry stamped with ``user`` and ``reason`` (cut to the 100 characters the history column holds).

    Raises ``Refused`` for a value the model refuses; nothing is saved then.
    """
    validation.clean(obj, fields=fields)
    # What django-simple-history reads off the instance when it writes the entry; Model does not declare them.
    obj._history_user = user  # type: ignore[attr-defined]
    obj._change_reason = reason[:100]  # type: ignore[attr-defined]
    if fields is None:
        obj.save()
    else:
        obj.save(update_fields=fields)


class Tracked(Protocol):
    """A model instance whose class has django-simple-history's ``history = HistoricalRecords(...)``."""

    #: The manager of its history records (simple-history ships no types).
    history: Any

    @property
    def _meta(self) -> Options[Any]: ...


def _shown(value: Any) -> Any:
    """Datetimes in the reader's time zone, to the minute; other values as they are."""
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "j M Y H:i")
    return value


def history_changes(
    record: Any, previous: Any, *, model: type[Model], hidden: Collection[str] = (), many: bool = True
) -> list[tuple[str, str, Any, Any]]:
    """What changed from ``previous`` to ``record`` (two history records of one object of ``model``):
    ``[(field name, field label, old, new)]``, no query when ``many`` is false.

    Choices are given in words and datetimes as the reader reads them; a many-to-many field as the number of
    related rows (diffing one reads its history, a query per record: ``many=False`` leaves them out). Changes of
    :data:`HIDDEN` fields and of those named in ``hidden`` are left out (money, for those the policy does not
    show it).
    """
    skipped = set(HIDDEN) | set(hidden)
    if not many:
        skipped |= {field.name for field in model._meta.many_to_many}
    delta = record.diff_against(previous, excluded_fields=skipped)
    changes = []
    for change in delta.changes:
        try:
            # A field the history tracks: the model's own, never a reverse relation.
            field = cast("Field[Any, Any]", model._meta.get_field(change.field))
        except Exception:  # a field since removed
            changes.append((change.field, change.field, change.old, change.new))
            continue
        old, new = change.old, change.new
        if getattr(field, "choices", None):
            words = dict(field.flatchoices)
            old, new = words.get(old, old), words.get(new, new)
        elif isinstance(old, list) or isinstance(new, list):  # many-to-many: the related rows
            old, new = len(old or []), len(new or [])
        changes.append((change.field, str(field.verbose_name), _shown(old), _shown(new)))
    return changes


def history_rows(obj: Tracked, *, limit: int = 50, hidden: Collection[str] = ()) -> list[dict[str, Any]]:
    """Newest first: ``[{"at", "user", "type", "reason", "changes": [(field label, old, new)]}]`` (2 queries).

    Changes of the fields named in ``hidden`` are left out (money, for those the policy does not show it).
    """
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            changes = [
                (label, old, new)
                for _name, label, old, new in history_changes(
                    record, previous, model=cast("type[Model]", type(obj)), hidden=hidden
                )
            ]
        rows.append(
            {
                "at": record.history_date,
                "user": record.history_user,
                "type": {"+": "created", "~": "changed", "-": "deleted"}.get(record.history_type, ""),
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return rows
