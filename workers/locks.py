"""Per-conversation locks: one worker decides a conversation at a time.

Two adapters with one contract (``tests/workers/test_locks.py``): in-memory for the embedded
one-process mode, Redis (``SET NX PX`` + compare-and-delete) for many worker processes. A lock
expires after its TTL so a killed worker never blocks a conversation for long; the database's
compare-and-set on the conversation state is the last line of defence either way.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import redis

__all__ = ["Locks", "MemoryLocks", "RedisLocks", "hold"]

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Locks(Protocol):
    """A lock table scoped by its constructor's ``namespace`` (a tenant, or the whole service)."""

    def acquire(self, key: str, ttl_seconds: float) -> str | None:
        """A token if ``key`` was free (now held for ``ttl_seconds``), else None. Never blocks."""
        ...

    def release(self, key: str, token: str) -> None:
        """Release ``key`` if ``token`` still holds it (an expired lock taken by another stays theirs)."""
        ...


class MemoryLocks:
    """Locks inside one process."""

    def __init__(self, namespace: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.namespace = namespace
        self._clock = clock
        self._held: dict[str, tuple[str, float]] = {}
        self._mutex = threading.Lock()

    def acquire(self, key: str, ttl_seconds: float) -> str | None:
        now = self._clock()
        with self._mutex:
            current = self._held.get(key)
            if current is not None and current[1] > now:
                return None
            token = uuid.uuid4().hex
            self._held[key] = (token, now + ttl_seconds)
            return token

    def release(self, key: str, token: str) -> None:
        with self._mutex:
            current = self._held.get(key)
            if current is not None and current[0] == token:
                del self._held[key]


class RedisLocks:
    """Locks shared by every process using the same Redis."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.namespace = namespace
        self._client = client
        self._release = client.register_script(_RELEASE)

    def _key(self, key: str) -> str:
        return f"truffles:lock:{self.namespace}:{key}"

    def acquire(self, key: str, ttl_seconds: float) -> str | None:
        token = uuid.uuid4().hex
        ok = self._client.set(self._key(key), token, nx=True, px=max(1, int(ttl_seconds * 1000)))
        return token if ok else None

    def release(self, key: str, token: str) -> None:
        self._release(keys=[self._key(key)], args=[token])


@contextmanager
def hold(locks: Locks, key: str, ttl_seconds: float) -> Iterator[bool]:
    """``with hold(locks, key, ttl) as got:`` — ``got`` is False when someone else holds it."""
    token = locks.acquire(key, ttl_seconds)
    try:
        yield token is not None
    finally:
        if token is not None:
            locks.release(key, token)
