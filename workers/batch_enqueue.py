"""Enqueue many dramatiq messages in one Redis round trip.

``RedisBroker.enqueue`` runs dramatiq's ``dispatch`` Lua script once per message: a round trip and
a connection checkout each. :func:`enqueue_many` sends the same script calls, with the same
arguments, through one pipeline. It mirrors ``RedisBroker.enqueue`` of dramatiq 2.2.1 (pinned in
``uv.lock``): the message copy with a fresh ``redis_message_id``, the delay queue and ``eta`` for a
delayed message, the ``before_enqueue``/``after_enqueue`` hooks, ``_dispatch``'s argument list and
its one-in-``maintenance_chance`` draw of queue maintenance.
``tests/workers/test_batch_enqueue.py`` checks that a dramatiq worker consumes what it wrote, so a
dramatiq upgrade that changes the layout fails there.

Any other broker (the embedded ``StubBroker``) gets its messages one by one through ``enqueue``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.common import current_millis, dq_name

__all__ = ["enqueue_many"]

_maintenance = random.Random()
"""Our own generator for dramatiq's "do queue maintenance now" draw (the global one may be seeded by
tests, and a flush runs between other code's uses of it)."""

Delayed = tuple[dramatiq.Message[Any], int | None]
"""A message and its delay in milliseconds (None: due now)."""


def enqueue_many(broker: dramatiq.Broker, messages: Sequence[Delayed]) -> None:
    """Enqueue every message (a RedisBroker: one pipeline); raises what the broker raises.

    All or nothing is NOT promised: on an error some messages may have been enqueued.
    """
    if not messages:
        return
    if not isinstance(broker, RedisBroker):
        for message, delay in messages:
            broker.enqueue(message, delay=delay)
        return
    dispatch = broker.scripts["dispatch"]
    max_unpack = broker._max_unpack_size()  # type: ignore[no-untyped-call]
    prepared: list[tuple[Delayed, list[Any]]] = []
    for original, delay in messages:
        message, queue_name = _redis_copy(original, delay)
        broker.emit_before("enqueue", message, delay)
        args = [
            "enqueue",
            current_millis(),
            queue_name,
            broker.broker_id,
            broker.heartbeat_timeout,
            broker.dead_message_ttl,
            int(_maintenance.randint(1, MAINTENANCE_SCALE) <= broker.maintenance_chance),
            max_unpack,
            message.options["redis_message_id"],
            message.encode(),
        ]
        prepared.append(((message, delay), args))
    try:
        _send(broker, dispatch.sha, [args for _, args in prepared])
    except redis.exceptions.NoScriptError:  # Redis restarted (scripts are not persisted): load, resend
        dispatch.sha = broker.client.script_load(dispatch.script)
        _send(broker, dispatch.sha, [args for _, args in prepared])
    for (message, delay), _ in prepared:
        broker.emit_after("enqueue", message, delay)


def _send(broker: RedisBroker, sha: str, calls: list[list[Any]]) -> None:
    """``EVALSHA`` per call in one pipeline.

    Plain ``EVALSHA``, not the ``Script`` object: a pipeline holding scripts first asks
    ``SCRIPT EXISTS``, one more round trip on every flush. A missing script fails every call alike
    (NoScriptError), so the caller's resend cannot enqueue a message twice.
    """
    with broker.client.pipeline(transaction=False) as pipeline:
        for args in calls:
            pipeline.evalsha(sha, 1, broker.namespace, *args)
        pipeline.execute()


def _redis_copy(message: dramatiq.Message[Any], delay: int | None) -> tuple[dramatiq.Message[Any], str]:
    """The message as ``RedisBroker.enqueue`` stores it, and the queue it goes to."""
    copied = message.copy(options={"redis_message_id": str(uuid.uuid4())})
    if delay is None:
        return copied, copied.queue_name
    delayed_queue = dq_name(copied.queue_name)
    return copied.copy(queue_name=delayed_queue, options={"eta": current_millis() + delay}), delayed_queue
