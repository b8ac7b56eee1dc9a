"""Admission of one webhook: the dedup mark and the rate-limit buckets, decided together.

On Redis it is ONE round trip (a Lua script: ``SET NX`` of the dedup key, then one token from every
bucket or from none); in memory it composes :class:`~api.dedup.MemoryDedup` and
:class:`~api.ratelimit.MemoryRateLimiter`. One contract suite runs over both
(``tests/api/test_admission.py``).

The dedup mark is ``in_flight`` from the first delivery on and lives as long as the dedup TTL; it
never short-circuits anything, it only spares a re-delivery the customer's tokens. It becomes
``stored`` once the database has confirmed a duplicate (:meth:`Admission.duplicate_confirmed`),
after which re-deliveries are answered without touching the database. The first delivery does not
write ``stored`` itself: that would be one more round trip on every webhook for the benefit of the
rare duplicate, and the database's unique constraint is the authority either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import msgspec
import redis

from api.dedup import DedupCache, DedupState, MemoryDedup
from api.ratelimit import TAKE_ALL_LUA, Bucket, MemoryRateLimiter, bucket_args, bucket_key

__all__ = ["Admission", "Admitted", "MemoryAdmission", "RedisAdmission"]

log = logging.getLogger("truffles.api.admission")

_ADMIT = (
    TAKE_ALL_LUA
    + """
if redis.call('SET', KEYS[1], 'in_flight', 'NX', 'PX', ARGV[1]) then
  return {'new', take_all(2, 2)}
end
local seen = redis.call('GET', KEYS[1])
if seen == 'stored' then return {'stored', 1} end
return {'in_flight', 1}
"""
)

_ABORT = """
if redis.call('GET', KEYS[1]) == 'in_flight' then redis.call('DEL', KEYS[1]) end
return 1
"""


class Admitted(msgspec.Struct, frozen=True):
    """What is known about the message id, and whether its buckets had a token each.

    ``allowed`` is only decided for ``new`` and ``unknown``; a re-delivery is never limited.
    """

    seen: DedupState
    allowed: bool


class Admission(Protocol):
    """Scoped to one tenant by its constructor."""

    def admit(self, message_id: str, buckets: Sequence[Bucket]) -> Admitted: ...

    def duplicate_confirmed(self, message_id: str) -> None:
        """The database holds this message: later deliveries are duplicates without asking it."""
        ...

    def abort(self, message_id: str) -> None:
        """Storing failed: forget the mark so the provider's retry is admitted afresh."""
        ...


class MemoryAdmission:
    """One process's admission (embedded mode)."""

    def __init__(self, dedup: MemoryDedup, limiter: MemoryRateLimiter) -> None:
        self.tenant_id = dedup.tenant_id
        self._dedup: DedupCache = dedup
        self._limiter = limiter

    def admit(self, message_id: str, buckets: Sequence[Bucket]) -> Admitted:
        seen = self._dedup.begin(message_id)
        if seen in ("in_flight", "stored"):
            return Admitted(seen, True)
        return Admitted(seen, self._limiter.allow_all(buckets))

    def duplicate_confirmed(self, message_id: str) -> None:
        self._dedup.stored(message_id)

    def abort(self, message_id: str) -> None:
        self._dedup.abort(message_id)


class RedisAdmission:
    """Shared by every API process; one ``EVALSHA`` per webhook."""

    def __init__(
        self,
        client: redis.Redis,
        tenant_id: str,
        *,
        ttl_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tenant_id = tenant_id
        self._client = client
        self._ttl_ms = int(ttl_seconds * 1000)
        self._clock = clock
        self._admit = client.register_script(_ADMIT)
        self._abort = client.register_script(_ABORT)

    def _key(self, message_id: str) -> str:
        return f"truffles:dedup:{self.tenant_id}:{message_id}"

    def admit(self, message_id: str, buckets: Sequence[Bucket]) -> Admitted:
        keys = [self._key(message_id), *(bucket_key(self.tenant_id, key) for key, _ in buckets)]
        args: list[str | int | float] = [self._ttl_ms, repr(self._clock()), *bucket_args(buckets)]
        try:
            seen, allowed = self._admit(keys=keys, args=args)
        except redis.RedisError as exc:
            log.warning("admission cache unavailable (%s): the database constraint alone dedups", exc)
            return Admitted("unknown", True)
        state = seen.decode() if isinstance(seen, bytes) else str(seen)
        known: DedupState = "new" if state == "new" else "stored" if state == "stored" else "in_flight"
        return Admitted(known, bool(allowed))

    def duplicate_confirmed(self, message_id: str) -> None:
        try:
            self._client.set(self._key(message_id), "stored", px=self._ttl_ms)
        except redis.RedisError as exc:
            log.warning("admission cache unavailable (%s); the database keeps deduplicating", exc)

    def abort(self, message_id: str) -> None:
        try:
            self._abort(keys=[self._key(message_id)])
        except redis.RedisError as exc:
            log.warning("admission cache unavailable (%s); the mark expires on its own", exc)
