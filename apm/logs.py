"""Structured log lines: the ids of reports, deliveries and emails as fields, not only in the text.

Every log call about a report, a delivery or an email passes its ids with
``extra=log_ids(...)``; they become attributes of the ``LogRecord``. Two
formatters, chosen by ``APM_LOG_FORMAT`` in ``apm/settings.py``:

* ``text`` (default): a readable line with the ids appended as ``key=value``
  (``... Report 12 rendered: 3 pages report_id=12 schedule_id=4``), so
  ``grep report_id=12`` finds every line of one report;
* ``json`` (production): one JSON object per line (python-json-logger), the
  ids as keys: ``{"time": ..., "level": "INFO", "logger": ..., "message": ...,
  "report_id": 12, "schedule_id": 4}``.
"""

from __future__ import annotations

import logging

#: The id fields, in the order the text format appends them.
LOG_FIELDS = ("report_id", "schedule_id", "delivery_id", "email_id")


def log_ids(**ids: int | None) -> dict[str, int]:
    """``extra=`` for a log call: the given ids (keys of :data:`LOG_FIELDS`) that are not None.

    Raises ``ValueError`` for a key not in :data:`LOG_FIELDS` (a typo would
    silently drop the field from every line).
    """
    unknown = set(ids) - set(LOG_FIELDS)
    if unknown:
        raise ValueError(f"Unknown log fields: {', '.join(sorted(unknown))}; expected some of {LOG_FIELDS}.")
    return {key: value for key, value in ids.items() if value is not None}


class TextFormatter(logging.Formatter):
    """The standard formatter, with the record's id fields appended as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{key}={getattr(record, key)}" for key in LOG_FIELDS if hasattr(record, key))
        if not fields:
            return line
        # A traceback stays last, under the line that carries the ids.
        head, newline, rest = line.partition("\n")
        return f"{head} {fields}{newline}{rest}"
