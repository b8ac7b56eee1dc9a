"""Token-bucket rate limits, in Redis (shared by every API process) or in memory (embedded).

The in-memory adapter is this module's; on Redis the same buckets are taken by
:class:`api.admission.RedisAdmission` (with the dedup mark, in one round trip) through
:data:`TAKE_ALL_LUA`. ``tests/api/test_admission.py`` runs one contract over both. Buckets are scoped
to one tenant by the constructor; keys name what is limited (``text``, ``media:<jid>``, …).
:meth:`RateLimiter.allow_all` takes one token from each of several buckets, or from none.
Redis unavailable: requests are allowed (the limit protects us; losing a customer's message
because our cache is down would be worse) and a warning is logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from config.settings import RateLimit

__all__ = [
    "TAKE_ALL_LUA",
    "Bucket",
    "MemoryRateLimiter",
    "RateLimiter",
    "bucket_args",
    "bucket_key",
]

TAKE_ALL_LUA = """
local function take_all(first_key, first_arg)
  -- KEYS[first_key..] are buckets; ARGV[first_arg] is now, then burst and rate per bucket.
  local now = tonumber(ARGV[first_arg])
  local state = {}
  local allowed = 1
  for i = first_key, #KEYS do
    local a = first_arg + 1 + (i - first_key) * 2
    local burst = tonumber(ARGV[a])
    local rate = tonumber(ARGV[a + 1])
    local data = redis.call('HMGET', KEYS[i], 't', 'ts')
    local tokens = tonumber(data[1])
    local ts = tonumber(data[2])
    if tokens == nil or ts == nil then tokens = burst; ts = now end
    if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate); ts = now end
    if tokens < 1 then allowed = 0 end
    state[i] = {tokens, ts, burst, rate}
  end
  for i = first_key, #KEYS do
    local s = state[i]
    local tokens = s[1]
    if allowed == 1 then tokens = tokens - 1 end
    redis.call('HSET', KEYS[i], 't', tostring(tokens), 'ts', tostring(s[2]))
    redis.call('PEXPIRE', KEYS[i], math.ceil(s[3] / s[4] * 1000) + 1000)
  end
  return allowed
end
"""
"""A Lua function taking one token from every bucket or from none (shared with ``api.admission``)."""

Bucket = tuple[str, RateLimit]
"""A bucket key (tenant-relative) and its limit."""


class RateLimiter(Protocol):
    def allow(self, key: str, limit: RateLimit) -> bool:
        """Take one token from bucket ``key``; False when it is empty."""
        ...

    def allow_all(self, buckets: Sequence[Bucket]) -> bool:
        """Take one token from every bucket if each has one; else take none and return False."""
        ...


class MemoryRateLimiter:
    def __init__(self, tenant_id: str, *, clock: Callable[[], float] = time.time) -> None:
        self.tenant_id = tenant_id
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._mutex = threading.Lock()

    def allow(self, key: str, limit: RateLimit) -> bool:
        return self.allow_all([(key, limit)])

    def allow_all(self, buckets: Sequence[Bucket]) -> bool:
        now = self._clock()
        with self._mutex:
            refilled = {}
            for key, limit in buckets:
                tokens, ts = self._buckets.get(key, (limit.burst, now))
                if now > ts:
                    tokens, ts = min(limit.burst, tokens + (now - ts) * limit.per_second), now
                refilled[key] = (tokens, ts)
            allowed = all(tokens >= 1 for tokens, _ in refilled.values())
            for key, (tokens, ts) in refilled.items():
                self._buckets[key] = (tokens - 1 if allowed else tokens, ts)
            return allowed


def bucket_key(tenant_id: str, key: str) -> str:
    return f"truffles:rate:{tenant_id}:{key}"


def bucket_args(buckets: Sequence[Bucket]) -> list[float]:
    """``burst, per_second`` of each bucket, in order (the Lua function's argument layout)."""
    return [value for _, limit in buckets for value in (limit.burst, limit.per_second)]
