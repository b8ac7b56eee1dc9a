"""The task queue: a dramatiq broker (Redis in production, in-process for the embedded mode).

Producers (the web edge, the sweeper, the actors themselves) enqueue by actor *name*, so a process
that only serves HTTP never has to declare the actors. :mod:`workers.actors` declares them where
work is done.
"""

from __future__ import annotations

import logging
import uuid

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

__all__ = [
    "MEDIA_QUEUE",
    "OUTBOX_QUEUE",
    "PROCESS_ACTOR",
    "SEND_ACTOR",
    "SEND_MEDIA_ACTOR",
    "TURNS_QUEUE",
    "TaskQueue",
    "make_broker",
]

log = logging.getLogger("truffles.queue")

TURNS_QUEUE = "turns"
OUTBOX_QUEUE = "outbox"
MEDIA_QUEUE = "outbox_media"
"""Media rows: ChatFlow takes seconds per media call, so they get their own queue and worker threads."""
PROCESS_ACTOR = "process_conversation"
SEND_ACTOR = "send_outbox"
SEND_MEDIA_ACTOR = "send_outbox_media"
BROKER_NAMESPACE = "truffles"


def make_broker(
    mode: str, client: redis.Redis | None = None, *, namespace: str = BROKER_NAMESPACE
) -> dramatiq.Broker:
    """``embedded``: a :class:`StubBroker` (worker threads in this process); ``redis``: a RedisBroker.

    The default middleware is kept (retries, time limits); no Prometheus middleware (it would open
    a port of its own): our metrics live in :class:`~workers.telemetry.Telemetry`.
    """
    if mode == "embedded":
        broker: dramatiq.Broker = StubBroker()
    elif mode == "redis":
        if client is None:
            raise ValueError("broker mode 'redis' needs a Redis client: set TRUFFLES_REDIS_URL")
        broker = RedisBroker(client=client, namespace=namespace)  # type: ignore[no-untyped-call]
    else:
        raise ValueError(f"broker mode {mode!r} is not 'embedded' or 'redis': fix TRUFFLES_BROKER")
    for queue in (TURNS_QUEUE, OUTBOX_QUEUE, MEDIA_QUEUE):
        broker.declare_queue(queue)
    return broker


class TaskQueue:
    """Enqueue the service's two kinds of work."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def process_conversation(self, tenant_id: str, conversation_id: uuid.UUID, *, delay: float = 0) -> None:
        """Decide the conversation's pending messages (after ``delay`` seconds: the coalescing window)."""
        self._enqueue(TURNS_QUEUE, PROCESS_ACTOR, [tenant_id, str(conversation_id)], delay)

    def send_outbox(
        self, tenant_id: str, outbox_id: uuid.UUID, *, delay: float = 0, media: bool = False
    ) -> None:
        """Deliver one outbox row (after ``delay`` s: a retry backoff); ``media`` rows on their own queue."""
        queue, actor = (MEDIA_QUEUE, SEND_MEDIA_ACTOR) if media else (OUTBOX_QUEUE, SEND_ACTOR)
        self._enqueue(queue, actor, [tenant_id, str(outbox_id)], delay)

    def depths(self) -> dict[str, int]:
        """Messages waiting per queue (ready + delayed); -1 when the broker cannot tell."""
        out: dict[str, int] = {}
        for queue in (TURNS_QUEUE, OUTBOX_QUEUE, MEDIA_QUEUE):
            out[queue] = self._depth(queue)
        return out

    def _enqueue(self, queue: str, actor: str, args: list[str], delay: float) -> None:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=queue, actor_name=actor, args=tuple(args), kwargs={}, options={}
        )
        millis = int(delay * 1000)
        self.broker.enqueue(message, delay=millis if millis > 0 else None)

    def _depth(self, queue: str) -> int:
        broker = self.broker
        if isinstance(broker, StubBroker):
            return sum(q.qsize() for name, q in broker.queues.items() if name in (queue, f"{queue}.DQ"))
        if isinstance(broker, RedisBroker):
            client = broker.client
            total = 0
            for name in (queue, f"{queue}.DQ"):
                total += int(client.hlen(f"{broker.namespace}:{name}.msgs"))
            return total
        return -1
