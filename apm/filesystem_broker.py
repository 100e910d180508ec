"""The embedded broker (a folder, kombu's filesystem transport) with whole messages only.

kombu's filesystem transport creates a message's file and then writes it; a
worker looking at the folder in between moves the empty file away, fails to
decode it and drops the message (celery/kombu#1551): a report or email then
waits for the sweeper, and a worker's consumer restarts. Here a message is
written under a name no worker looks for and renamed into place, which is
atomic: a worker sees a whole message or none. A worker takes a message by
renaming its file in the same folder (atomic: one worker gets it). An
exchange's table (the queues bound to it, a file too) has the same race when
workers start together on a new folder; here a new table is linked into place
whole and an existing one read and written under one lock. Used when no
REDIS_URL is set (``CELERY_BROKER_TRANSPORT`` in ``apm/settings.py``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from queue import Empty
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
        if not file.exists():
            # A new table appears whole (written aside, then linked: the link fails if another got there first).
            partial = file.with_name(f"{file.name}.{uuid.uuid4()}.part")
            partial.write_bytes(str_to_bytes(dumps([wanted])))
            try:
                os.link(partial, file)
                return
            except FileExistsError:
                pass  # another worker created it meanwhile: add to its table below
            finally:
                partial.unlink(missing_ok=True)
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
        """``exchange``'s table (empty when it has none yet); read under a shared lock."""
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

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """The next message of ``queue``, taken by renaming its file in the same folder (atomic: of two workers
        taking the same message, one gets it and the other goes on to the next). kombu's own moves the file to
        the processed folder or the system's temporary folder, a copy and a delete when that is on another
        file system: two workers could both copy it, and one read it half-written."""
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            source = os.path.join(self.data_folder_in, name)
            taken = f"{source}.{uuid.uuid4()}.taken"
            try:
                os.rename(source, taken)
            except OSError:
                continue  # another worker took it
            try:
                with open(taken, "rb") as file:
                    payload = file.read()
                if self.store_processed:
                    shutil.move(taken, os.path.join(self.processed_folder, name))
                else:
                    os.remove(taken)
            except OSError as exc:
                raise ChannelError(f"Cannot read file {taken!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
