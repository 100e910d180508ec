"""The change history of an object (django-simple-history) as rows a page can show."""

from __future__ import annotations

from typing import Any

HIDDEN = {"id", "history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def history_rows(obj, *, limit: int = 50) -> list[dict[str, Any]]:
    """Newest first: ``[{"at", "user", "type", "reason", "changes": [(field label, old, new)]}]`` (2 queries)."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in HIDDEN:
                    continue
                try:
                    label = obj._meta.get_field(change.field).verbose_name
                except Exception:  # a field since removed
                    label = change.field
                changes.append((str(label), change.old, change.new))
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
