"""The edge's per-tenant ports (dedup cache, rate limiter), built on Redis when configured."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from api.dedup import DedupCache, MemoryDedup, RedisDedup
from api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from workers.runtime import Runtime

__all__ = ["EdgePorts"]


class EdgePorts:
    """Lazily builds one dedup cache and one rate limiter per tenant (tenant scope in the constructor)."""

    def __init__(self, rt: Runtime, *, clock: Callable[[], float] = time.time) -> None:
        self._rt = rt
        self._clock = clock
        self._dedup: dict[str, DedupCache] = {}
        self._limits: dict[str, RateLimiter] = {}
        self._mutex = threading.Lock()

    def dedup(self, tenant_id: str) -> DedupCache:
        with self._mutex:
            found = self._dedup.get(tenant_id)
            if found is None:
                ttl = self._rt.settings.dedup_ttl_seconds
                found = (
                    RedisDedup(self._rt.redis, tenant_id, ttl_seconds=ttl)
                    if self._rt.redis is not None
                    else MemoryDedup(tenant_id, ttl_seconds=ttl)
                )
                self._dedup[tenant_id] = found
            return found

    def limiter(self, tenant_id: str) -> RateLimiter:
        with self._mutex:
            found = self._limits.get(tenant_id)
            if found is None:
                found = (
                    RedisRateLimiter(self._rt.redis, tenant_id, clock=self._clock)
                    if self._rt.redis is not None
                    else MemoryRateLimiter(tenant_id, clock=self._clock)
                )
                self._limits[tenant_id] = found
            return found
