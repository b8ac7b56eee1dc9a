"""Where a webhook's ingest runs: on the event loop while the stores answer fast, else in a thread.

On the event loop, an ingest blocks the loop only for its Redis admission: the PostgreSQL store
joins the process's group commit (:class:`~storage.inbound_writer.InboundWriter`, awaited) and the
turn is enqueued after the response (:mod:`api.deferred_turns`). Run on the loop it costs less CPU
than through a worker thread (no hand-off, no GIL contention between the loop and the pool; the
blocking version measured 1.55–1.73 against 2.19–2.21 ms of API CPU per request). The price is that
while the admission runs, the process serves nothing else — fine for 0.1 ms, not for a Redis that
hangs.

So the gate watches every ingest: one that fails with a store error, or an inline one that blocks
the loop longer than ``slow_seconds`` (the time it awaited the group commit does not count), sends
the following ingests to worker threads for ``cool_off_seconds``, which keeps ``/admin/health`` and
the other routes answering while PostgreSQL or Redis is in trouble. Then one ingest tries the loop
again. What an inline ingest can wait is bounded by the stores' timeouts: Redis 2 s
(``workers.service.redis_client``), PostgreSQL's connect timeout and ``tcp_user_timeout``
(``storage.db``).

Disabled on SQLite (the embedded mode): there an ingest may wait seconds for the write lock a
worker thread of the same process holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["InlineGate"]

SLOW_SECONDS = 0.05
"""An ingest slower than this (healthy: 1–3 ms) means a store is struggling."""
COOL_OFF_SECONDS = 5.0
"""How long ingests run in threads after trouble was seen."""


class InlineGate:
    """Thread-safe: ingests on threads report here too."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        slow_seconds: float = SLOW_SECONDS,
        cool_off_seconds: float = COOL_OFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if slow_seconds <= 0 or cool_off_seconds < 0:
            raise ValueError(
                f"InlineGate(slow_seconds={slow_seconds}, cool_off_seconds={cool_off_seconds}): "
                "slow_seconds must be > 0 and cool_off_seconds >= 0"
            )
        self.enabled = enabled
        self.slow_seconds = slow_seconds
        self.cool_off_seconds = cool_off_seconds
        self._clock = clock
        self._threads_until = float("-inf")
        self._lock = threading.Lock()

    def inline(self) -> bool:
        """True when the next ingest may run on the event loop."""
        return self.enabled and self._clock() >= self._threads_until

    def record(self, seconds: float, *, failed: bool, inline: bool) -> None:
        """One ingest took ``seconds`` (on the loop if ``inline``); ``failed``: a store raised.

        Only an inline ingest's time says how fast the stores are: on a thread it also counts the
        waits for the GIL, which grow with CPU load alone — counting those would keep a busy
        process on threads (the slower path) exactly when it most needs the faster one.
        """
        if failed or (inline and seconds > self.slow_seconds):
            with self._lock:
                self._threads_until = max(self._threads_until, self._clock() + self.cool_off_seconds)
