"""The embedded broker (a folder, kombu's filesystem transport) with whole messages only.

kombu's filesystem transport creates a message's file and then writes it; a
worker looking at the folder in between moves the empty file away, fails to
decode it and drops the message (celery/kombu#1551): a report or email then
waits for the sweeper, and a worker's consumer restarts. Here a message is
written under a name no worker looks for and renamed into place, which is
atomic: a worker sees a whole message or none. Used when no REDIS_URL is set
(``CELERY_BROKER_TRANSPORT`` in ``apm/settings.py``).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
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


class Transport(filesystem.Transport):
    Channel = Channel
