"""The "a drain is queued for this tenant" mark: it keeps outbox wake-ups to one per tenant.

Set (only if absent) when a wake-up is enqueued, cleared when the drain starts. The mark expires
by itself (``WAKE_TTL_MS``), so a wake-up lost with a dead worker delays rows by at most that long
before the next write or the sweeper wakes the drain again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

__all__ = ["WAKE_TTL_MS", "MemoryWakeMarks", "RedisWakeMarks", "WakeMarks"]

WAKE_TTL_MS = 10_000


class WakeMarks(Protocol):
    def mark(self, tenant_id: str) -> bool:
        """Set the tenant's mark; True if it was not set (the caller enqueues the wake-up)."""
        ...

    def clear(self, tenant_id: str) -> None: ...


class RedisWakeMarks:
    """Shared by every process on the broker's Redis (``SET NX PX`` / ``DEL``)."""

    def __init__(self, client: redis.Redis, prefix: str, ttl_ms: int = WAKE_TTL_MS) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_ms = ttl_ms

    def mark(self, tenant_id: str) -> bool:
        return bool(self._client.set(f"{self._prefix}:{tenant_id}", b"1", nx=True, px=self._ttl_ms))

    def clear(self, tenant_id: str) -> None:
        self._client.delete(f"{self._prefix}:{tenant_id}")


class MemoryWakeMarks:
    """The embedded mode: one process, so a dict under a lock."""

    def __init__(self, ttl_ms: int = WAKE_TTL_MS, clock: Callable[[], float] = time.monotonic) -> None:
        self._until: dict[str, float] = {}
        self._ttl = ttl_ms / 1000
        self._clock = clock
        self._lock = threading.Lock()

    def mark(self, tenant_id: str) -> bool:
        now = self._clock()
        with self._lock:
            if self._until.get(tenant_id, 0.0) > now:
                return False
            self._until[tenant_id] = now + self._ttl
            return True

    def clear(self, tenant_id: str) -> None:
        with self._lock:
            self._until.pop(tenant_id, None)
