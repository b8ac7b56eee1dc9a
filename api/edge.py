"""The edge's per-tenant port (admission: dedup mark + rate limits), built on Redis when configured."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from api.admission import Admission, MemoryAdmission, RedisAdmission
from api.dedup import MemoryDedup
from api.ratelimit import MemoryRateLimiter
from workers.runtime import Runtime

__all__ = ["EdgePorts"]


class EdgePorts:
    """Lazily builds one admission per tenant (tenant scope in the constructor)."""

    def __init__(self, rt: Runtime, *, clock: Callable[[], float] = time.time) -> None:
        self._rt = rt
        self._clock = clock
        self._admissions: dict[str, Admission] = {}
        self._mutex = threading.Lock()

    def admission(self, tenant_id: str) -> Admission:
        """Dedup mark + rate limits in one step (one Redis round trip when Redis is configured)."""
        with self._mutex:
            found = self._admissions.get(tenant_id)
            if found is None:
                ttl = self._rt.settings.dedup_ttl_seconds
                found = (
                    RedisAdmission(self._rt.redis, tenant_id, ttl_seconds=ttl, clock=self._clock)
                    if self._rt.redis is not None
                    else MemoryAdmission(
                        MemoryDedup(tenant_id, ttl_seconds=ttl),
                        MemoryRateLimiter(tenant_id, clock=self._clock),
                    )
                )
                self._admissions[tenant_id] = found
            return found
