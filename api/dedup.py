"""The fast half of webhook dedup in one process (embedded mode): a cache of provider message ids.

The database's unique constraint on (tenant, provider message id) is the authority; this cache only
saves it work. A key is ``in_flight`` while one request stores the message and ``stored`` once it
committed. Only ``stored`` short-circuits a re-delivery; ``in_flight`` and ``unknown`` (Redis down)
fall through to the database, so a crash between the two steps can never lose a message.
With Redis, :class:`api.admission.RedisAdmission` keeps these marks for every API process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol

__all__ = ["DedupCache", "DedupState", "MemoryDedup"]

log = logging.getLogger("truffles.api.dedup")

DedupState = Literal["new", "in_flight", "stored", "unknown"]
IN_FLIGHT_TTL_SECONDS = 30.0
"""An ``in_flight`` mark left by a crashed request expires after this."""


class DedupCache(Protocol):
    """Scoped to one tenant by its constructor."""

    def begin(self, message_id: str) -> DedupState:
        """Mark ``message_id`` in flight if unseen (``new``); else what is known about it."""
        ...

    def stored(self, message_id: str) -> None:
        """The message is committed: later deliveries are duplicates."""
        ...

    def abort(self, message_id: str) -> None:
        """Storing failed: forget the in-flight mark so the provider's retry is processed."""
        ...


class MemoryDedup:
    """One process's dedup cache (embedded mode)."""

    def __init__(
        self, tenant_id: str, *, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.tenant_id = tenant_id
        self._ttl = ttl_seconds
        self._clock = clock
        self._keys: dict[str, tuple[str, float]] = {}
        self._mutex = threading.Lock()
        self._next_purge = 0.0

    def begin(self, message_id: str) -> DedupState:
        now = self._clock()
        with self._mutex:
            self._purge(now)
            found = self._keys.get(message_id)
            if found is not None and found[1] > now:
                return "stored" if found[0] == "stored" else "in_flight"
            self._keys[message_id] = ("in_flight", now + IN_FLIGHT_TTL_SECONDS)
            return "new"

    def stored(self, message_id: str) -> None:
        with self._mutex:
            self._keys[message_id] = ("stored", self._clock() + self._ttl)

    def abort(self, message_id: str) -> None:
        with self._mutex:
            found = self._keys.get(message_id)
            if found is not None and found[0] == "in_flight":
                del self._keys[message_id]

    def _purge(self, now: float) -> None:
        if now < self._next_purge:
            return
        self._next_purge = now + 60
        for key in [k for k, (_, expires) in self._keys.items() if expires <= now]:
            del self._keys[key]
