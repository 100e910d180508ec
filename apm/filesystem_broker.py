"""The embedded broker (a folder, kombu's filesystem transport) with whole messages only.

kombu's filesystem transport creates a message's file and then writes it; a
worker looking at the folder in between moves the empty file away, fails to
decode it and drops the message (celery/kombu#1551): a report or email then
waits for the sweeper, and a worker's consumer restarts. Here a message is
written under a name no worker looks for and renamed into place, which is
atomic: a worker sees a whole message or none. An exchange's table (the
queues bound to it, a file too) has the same race when workers start together
on a new folder; here it is read and written under one lock. Used when no
REDIS_URL is set (``CELERY_BROKER_TRANSPORT`` in ``apm/settings.py``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

_lock: Any = filesystem.lock
_unlock: Any = filesystem.unlock
LOCK_EX: int = filesystem.LOCK_EX  # type: ignore[attr-defined]
LOCK_SH: int = filesystem.LOCK_SH  # type: ignore[attr-defined]


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]  # kombu's own signature
        """Put ``payload`` onto ``queue``: written to ``<name>.part`` (which no queue's name matches), then renamed."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _queue_bind(self, exchange: str, routing_key: str | None, pattern: str | None, queue: str | None) -> None:
        """Add ``queue`` to ``exchange``'s table (a file) under an exclusive lock taken before it is read, the
        file created if missing and never truncated unlocked: kombu's own checks that the file exists, then
        opens it for writing (emptied) and only then locks it, so two workers starting together on a new folder
        could read each other's empty table and fail to start."""
        file: Path = self._exchange_file(exchange)  # type: ignore[attr-defined]
        self.control_folder.mkdir(exist_ok=True)
        wanted = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            with open(file, "a+b", buffering=0) as table:
                _lock(table, LOCK_EX)
                try:
                    table.seek(0)
                    data = table.read()
                    queues = [filesystem.exchange_queue_t(*q) for q in loads(bytes_to_str(data))] if data else []
                    if wanted not in queues:
                        queues.insert(0, wanted)
                        table.truncate(0)
                        table.write(str_to_bytes(dumps(queues)))
                finally:
                    _unlock(table)
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc

    def get_table(self, exchange: str) -> list[Any]:
        """``exchange``'s table; empty while the worker that created its file has not written it yet."""
        file: Path = self._exchange_file(exchange)  # type: ignore[attr-defined]
        try:
            with open(file, "rb") as table:
                _lock(table, LOCK_SH)
                try:
                    data = table.read()
                finally:
                    _unlock(table)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc
        return [filesystem.exchange_queue_t(*q) for q in loads(bytes_to_str(data))] if data else []


class Transport(filesystem.Transport):
    Channel = Channel
