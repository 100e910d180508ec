"""The embedded broker (apm/filesystem_broker.py): a worker sees a whole message or none, never a half-written one."""

from __future__ import annotations

import os
import threading
from queue import Empty

import pytest
from kombu import Connection

from apm import filesystem_broker


@pytest.fixture
def connection(tmp_path):
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    with Connection("filesystem://", transport=filesystem_broker.Transport, transport_options=options) as connection:
        yield connection


def test_a_message_goes_through_whole(connection):
    queue = connection.SimpleQueue("reports-bulk")
    queue.put({"task": "reports.tasks.render_report_chunk", "args": [7]})
    message = queue.get(timeout=1)
    assert message.payload == {"task": "reports.tasks.render_report_chunk", "args": [7]}
    message.ack()
    with pytest.raises(Empty):
        queue.get(timeout=0.05)
    queue.close()


def test_a_worker_looking_while_a_message_is_written_finds_nothing_then_the_whole_message(connection, monkeypatch):
    """kombu's own transport creates the file and then writes it: a worker looking in between takes the empty file
    and drops the message (celery/kombu#1551). Here the file appears, renamed, once written."""
    channel = connection.default_channel
    seen_while_writing = []
    replace = os.replace

    def look_then_replace(source, target):
        assert os.path.getsize(source) > 0  # written in full under its partial name
        try:
            seen_while_writing.append(channel._get("celery"))
        except Empty:
            seen_while_writing.append(None)
        replace(source, target)

    monkeypatch.setattr(filesystem_broker.os, "replace", look_then_replace)
    channel._put("celery", {"body": "the whole message"})
    assert seen_while_writing == [None]
    assert channel._get("celery") == {"body": "the whole message"}
    assert os.listdir(channel.data_folder_in) == []


def test_two_workers_starting_together_on_a_new_folder_bind_their_queues_to_one_table(connection):
    """Each binding reads the table and writes it back under one lock: none reads another's half-written table,
    none is lost (kombu's own opens the file emptied, then locks it)."""
    channel = connection.default_channel
    errors = []

    def bind(number: int) -> None:
        try:
            for round_ in range(20):
                channel._queue_bind("fanout-exchange", "", "", f"worker{number}-queue{round_}")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=bind, args=(number,)) for number in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    table = channel.get_table("fanout-exchange")
    assert sorted(entry.queue for entry in table) == sorted(f"worker{n}-queue{r}" for n in range(4) for r in range(20))


def test_a_table_a_worker_has_created_but_not_written_reads_as_empty(connection):
    channel = connection.default_channel
    channel.control_folder.mkdir(exist_ok=True)
    channel._exchange_file("celeryev").write_bytes(b"")
    assert channel.get_table("celeryev") == []
    assert channel.get_table("never-declared") == []


def test_workers_taking_messages_at_once_each_get_a_whole_one_and_every_message_goes_once(connection, tmp_path):
    """A message is taken by renaming its file in its folder: of two workers reaching for it, one gets it."""
    channel = connection.default_channel
    for number in range(200):
        channel._put("celery", {"number": number})
    taken: list[int] = []
    errors = []

    def consume() -> None:
        other = connection.clone()
        mine = other.default_channel
        try:
            while True:
                try:
                    taken.append(mine._get("celery")["number"])
                except Empty:
                    return
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            other.close()

    workers = [threading.Thread(target=consume) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(taken) == list(range(200))
    assert os.listdir(channel.data_folder_in) == []
