"""The task queue: a dramatiq broker (Redis in production, in-process for the embedded mode).

Producers (the web edge, the sweeper, the actors themselves) enqueue by actor *name*, so a process
that only serves HTTP never has to declare the actors. :mod:`workers.actors` declares them where
work is done.
"""

from __future__ import annotations

import logging
import uuid

import dramatiq
import msgspec
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from storage.log_context import CORRELATION_KEY
from workers.batch_enqueue import enqueue_many
from workers.wake_marks import MemoryWakeMarks, RedisWakeMarks, WakeMarks

__all__ = [
    "DRAIN_ACTOR",
    "MEDIA_QUEUE",
    "OUTBOX_QUEUE",
    "PROCESS_ACTOR",
    "SEND_ACTOR",
    "SEND_MEDIA_ACTOR",
    "TURNS_QUEUE",
    "TaskQueue",
    "TurnJob",
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
DRAIN_ACTOR = "drain_outbox"
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


class TurnJob(msgspec.Struct, frozen=True):
    """One conversation to decide after ``delay_seconds``; ``correlation_id``: the message that caused it."""

    tenant_id: str
    conversation_id: uuid.UUID
    delay_seconds: float = 0.0
    correlation_id: str | None = None


class TaskQueue:
    """Enqueue the service's two kinds of work."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker
        self._wakes: WakeMarks = (
            RedisWakeMarks(broker.client, f"{broker.namespace}:outbox-wake")
            if isinstance(broker, RedisBroker)
            else MemoryWakeMarks()
        )

    def process_conversation(self, tenant_id: str, conversation_id: uuid.UUID, *, delay: float = 0) -> None:
        """Decide the conversation's pending messages (after ``delay`` seconds: the coalescing window)."""
        self._enqueue(TURNS_QUEUE, PROCESS_ACTOR, [tenant_id, str(conversation_id)], delay)

    def process_conversations(self, jobs: list[TurnJob]) -> None:
        """:meth:`process_conversation` for many at once: on Redis, one round trip for all of them."""
        messages = [
            (
                _message(
                    TURNS_QUEUE,
                    PROCESS_ACTOR,
                    [job.tenant_id, str(job.conversation_id)],
                    {CORRELATION_KEY: job.correlation_id} if job.correlation_id else {},
                ),
                _millis(job.delay_seconds),
            )
            for job in jobs
        ]
        enqueue_many(self.broker, messages)

    def send_outbox(
        self, tenant_id: str, outbox_id: uuid.UUID, *, delay: float = 0, media: bool = False
    ) -> None:
        """Deliver one outbox row.

        A text row due now wakes the tenant's outbox drain (:mod:`workers.drain`), which claims and
        sends the due text rows one after another: one wake-up stays queued per tenant however many
        rows are written meanwhile. A retry (``delay`` > 0: the backoff) or a ``media`` row (own queue)
        is a message of its own, naming the row.
        """
        if media or delay > 0:
            queue, actor = (MEDIA_QUEUE, SEND_MEDIA_ACTOR) if media else (OUTBOX_QUEUE, SEND_ACTOR)
            self._enqueue(queue, actor, [tenant_id, str(outbox_id)], delay)
            return
        self.wake_outbox(tenant_id)

    def wake_outbox(self, tenant_id: str, *, force: bool = False) -> None:
        """Queue a drain of the tenant's due text rows, unless one is queued already (``force``: anyway)."""
        if not self._wakes.mark(tenant_id) and not force:
            return
        try:
            self._enqueue(OUTBOX_QUEUE, DRAIN_ACTOR, [tenant_id], 0)
        except Exception:
            self._wakes.clear(tenant_id)  # else no wake-up would be queued until the mark expires
            raise

    def drain_started(self, tenant_id: str) -> None:
        """A drain has begun: rows written from now on need a new wake-up (it may have claimed already)."""
        self._wakes.clear(tenant_id)

    def depths(self) -> dict[str, int]:
        """Messages waiting per queue (ready + delayed); -1 when the broker cannot tell."""
        out: dict[str, int] = {}
        for queue in (TURNS_QUEUE, OUTBOX_QUEUE, MEDIA_QUEUE):
            out[queue] = self._depth(queue)
        return out

    def _enqueue(self, queue: str, actor: str, args: list[str], delay: float) -> None:
        self.broker.enqueue(_message(queue, actor, args), delay=_millis(delay))

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


def _message(
    queue: str, actor: str, args: list[str], options: dict[str, str] | None = None
) -> dramatiq.Message[None]:
    return dramatiq.Message(
        queue_name=queue, actor_name=actor, args=tuple(args), kwargs={}, options=options or {}
    )


def _millis(delay: float) -> int | None:
    """A delay in seconds as dramatiq takes it: whole milliseconds, None when due now."""
    millis = int(delay * 1000)
    return millis if millis > 0 else None
