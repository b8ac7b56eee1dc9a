"""TaskQueue routing: media rows on their own queue (their own worker threads), everything else as before."""

from __future__ import annotations

import uuid

from dramatiq import Message

from workers.queue import MEDIA_QUEUE, OUTBOX_QUEUE, SEND_ACTOR, SEND_MEDIA_ACTOR, TaskQueue, make_broker


def test_media_rows_go_to_the_media_queue_and_text_rows_to_the_outbox_queue() -> None:
    queue = TaskQueue(make_broker("embedded"))
    text_row, media_row = uuid.uuid4(), uuid.uuid4()
    queue.send_outbox("demo_salon", text_row)
    queue.send_outbox("demo_salon", media_row, media=True)
    assert queue.depths() == {"turns": 0, "outbox": 1, "outbox_media": 1}
    broker = queue.broker
    [text_message] = [Message.decode(m) for m in broker.queues[OUTBOX_QUEUE].queue]  # type: ignore[attr-defined]
    [media_message] = [Message.decode(m) for m in broker.queues[MEDIA_QUEUE].queue]  # type: ignore[attr-defined]
    assert (text_message.actor_name, text_message.args[1]) == (SEND_ACTOR, str(text_row))
    assert (media_message.actor_name, media_message.args[1]) == (SEND_MEDIA_ACTOR, str(media_row))


def test_a_delayed_media_retry_waits_on_the_media_delay_queue() -> None:
    queue = TaskQueue(make_broker("embedded"))
    queue.send_outbox("demo_salon", uuid.uuid4(), delay=5, media=True)
    assert queue.broker.queues[f"{MEDIA_QUEUE}.DQ"].qsize() == 1  # type: ignore[attr-defined]
    assert queue.depths()["outbox_media"] == 1 and queue.depths()["outbox"] == 0
