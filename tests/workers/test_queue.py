"""TaskQueue routing: media rows on their own queue; text rows wake the tenant's drain (one at a time)."""

from __future__ import annotations

import uuid

import pytest
from dramatiq import Message

from workers.queue import (
    DRAIN_ACTOR,
    MEDIA_QUEUE,
    OUTBOX_QUEUE,
    SEND_ACTOR,
    SEND_MEDIA_ACTOR,
    TaskQueue,
    make_broker,
)
from workers.wake_marks import MemoryWakeMarks


def _messages(queue: TaskQueue, name: str) -> list[Message[None]]:
    return [Message.decode(m) for m in queue.broker.queues[name].queue]  # type: ignore[attr-defined]


def test_media_rows_go_to_the_media_queue_and_text_rows_to_the_outbox_queue() -> None:
    queue = TaskQueue(make_broker("embedded"))
    text_row, media_row = uuid.uuid4(), uuid.uuid4()
    queue.send_outbox("demo_salon", text_row)
    queue.send_outbox("demo_salon", media_row, media=True)
    assert queue.depths() == {"turns": 0, "outbox": 1, "outbox_media": 1}
    [text_message] = _messages(queue, OUTBOX_QUEUE)
    [media_message] = _messages(queue, MEDIA_QUEUE)
    assert (text_message.actor_name, text_message.args) == (DRAIN_ACTOR, ("demo_salon",))
    assert (media_message.actor_name, media_message.args[1]) == (SEND_MEDIA_ACTOR, str(media_row))


def test_many_text_rows_queue_one_wake_up_per_tenant_until_the_drain_starts() -> None:
    queue = TaskQueue(make_broker("embedded"))
    for _ in range(50):
        queue.send_outbox("demo_salon", uuid.uuid4())
    queue.send_outbox("auto_service", uuid.uuid4())
    assert [m.args for m in _messages(queue, OUTBOX_QUEUE)] == [("demo_salon",), ("auto_service",)]
    queue.drain_started("demo_salon")  # rows written after this need a new wake-up
    queue.send_outbox("demo_salon", uuid.uuid4())
    assert len(_messages(queue, OUTBOX_QUEUE)) == 3
    queue.wake_outbox("demo_salon", force=True)  # a drain's own re-wake always goes out
    assert len(_messages(queue, OUTBOX_QUEUE)) == 4


def test_a_delayed_text_retry_is_a_message_naming_its_row() -> None:
    queue = TaskQueue(make_broker("embedded"))
    row = uuid.uuid4()
    queue.send_outbox("demo_salon", row, delay=5)
    [message] = [Message.decode(m) for m in queue.broker.queues[f"{OUTBOX_QUEUE}.DQ"].queue]  # type: ignore[attr-defined]
    assert (message.actor_name, message.args[1]) == (SEND_ACTOR, str(row))


def test_a_failed_enqueue_clears_the_mark_so_the_next_row_wakes_the_drain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = TaskQueue(make_broker("embedded"))
    real = queue.broker.enqueue

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(queue.broker, "enqueue", down)
    with pytest.raises(ConnectionError):
        queue.send_outbox("demo_salon", uuid.uuid4())
    monkeypatch.setattr(queue.broker, "enqueue", real)
    queue.send_outbox("demo_salon", uuid.uuid4())
    assert len(_messages(queue, OUTBOX_QUEUE)) == 1


def test_a_mark_expires_by_itself() -> None:
    now = [100.0]
    marks = MemoryWakeMarks(ttl_ms=1000, clock=lambda: now[0])
    assert marks.mark("t") and not marks.mark("t")
    now[0] += 0.999
    assert not marks.mark("t")
    now[0] += 0.002
    assert marks.mark("t")

def test_a_delayed_media_retry_waits_on_the_media_delay_queue() -> None:
    queue = TaskQueue(make_broker("embedded"))
    queue.send_outbox("demo_salon", uuid.uuid4(), delay=5, media=True)
    assert queue.broker.queues[f"{MEDIA_QUEUE}.DQ"].qsize() == 1  # type: ignore[attr-defined]
    assert queue.depths()["outbox_media"] == 1 and queue.depths()["outbox"] == 0
