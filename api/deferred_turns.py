"""The turns of the webhooks acknowledged in one event-loop pass, enqueued together after their 200s.

A webhook's message is durable once its transaction commits; enqueueing its conversation's turn is
a hint to the workers, and a lost hint costs latency, not the message: the sweeper re-enqueues
stored messages nobody processed (``workers/sweeper.py``), as it does when the broker is down. So
the group-commit path (:func:`api.ingest.ingest_batched`) does not wait for the broker: it hands
the turn to :class:`DeferredTurns` and answers. The turns collected until the loop's next pass
go to the broker in one call (on Redis, one pipeline: :func:`workers.batch_enqueue.enqueue_many`),
instead of one blocking round trip per webhook on the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

from storage.log_context import log_context
from workers.queue import TaskQueue, TurnJob

__all__ = ["DeferredTurns"]

log = logging.getLogger("truffles.api.ingest")


class DeferredTurns:
    """One per event loop; call :meth:`add` from the loop."""

    def __init__(self, queue: TaskQueue) -> None:
        self._queue = queue
        self._jobs: list[TurnJob] = []
        self.flushes = 0
        """Broker calls made so far (for tests and benchmarks)."""

    def add(self, job: TurnJob) -> None:
        """Enqueue ``job`` with the others of this loop pass, right after the pass."""
        self._jobs.append(job)
        if len(self._jobs) == 1:
            # A fresh context: the flush's log lines belong to no single message.
            asyncio.get_running_loop().call_soon(self.flush, context=contextvars.Context())

    def flush(self) -> None:
        """Enqueue what is collected now (also called at shutdown)."""
        jobs, self._jobs = self._jobs, []
        if not jobs:
            return
        self.flushes += 1
        try:
            self._queue.process_conversations(jobs)
        except Exception as exc:  # the broker is down: the sweeper will pick the stored messages up
            for job in jobs:
                with log_context(tenant=job.tenant_id, correlation_id=job.correlation_id):
                    log.error(
                        "tenant=%s conversation %s: message stored but its turn not enqueued (%s); "
                        "the sweeper will retry",
                        job.tenant_id,
                        job.conversation_id,
                        exc,
                    )
