"""Token-bucket rate limits, in Redis (shared by every API process) or in memory (embedded).

One contract suite (``tests/api/test_ratelimit.py``) runs over both adapters. Buckets are scoped to
one tenant by the constructor; keys name what is limited (``text``, ``media:<jid>``, …).
Redis unavailable: requests are allowed (the limit protects us; losing a customer's message
because our cache is down would be worse) and a warning is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from config.settings import RateLimit

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]

log = logging.getLogger("truffles.api.ratelimit")

_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local data = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(data[1])
local ts = tonumber(data[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate); ts = now end
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
"""


class RateLimiter(Protocol):
    def allow(self, key: str, limit: RateLimit) -> bool:
        """Take one token from bucket ``key``; False when it is empty."""
        ...


class MemoryRateLimiter:
    def __init__(self, tenant_id: str, *, clock: Callable[[], float] = time.time) -> None:
        self.tenant_id = tenant_id
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._mutex = threading.Lock()

    def allow(self, key: str, limit: RateLimit) -> bool:
        now = self._clock()
        with self._mutex:
            tokens, ts = self._buckets.get(key, (limit.burst, now))
            if now > ts:
                tokens, ts = min(limit.burst, tokens + (now - ts) * limit.per_second), now
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, ts)
            return allowed


class RedisRateLimiter:
    def __init__(
        self, client: redis.Redis, tenant_id: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.tenant_id = tenant_id
        self._clock = clock
        self._take = client.register_script(_TAKE)

    def allow(self, key: str, limit: RateLimit) -> bool:
        try:
            result = self._take(
                keys=[f"truffles:rate:{self.tenant_id}:{key}"],
                args=[limit.burst, limit.per_second, repr(self._clock())],
            )
        except redis.RedisError as exc:
            log.warning("rate limiter unavailable (%s): allowing the message", exc)
            return True
        return bool(result)
