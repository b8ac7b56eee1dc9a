"""Drill: ChatFlow answers a storm of 500s, 503s, 429s (with Retry-After) and timeouts, then recovers.

Twenty customers ask at once while the provider fails call after call. Every reply must arrive
exactly once (timed-out calls are not delivered by the emulator, so a retry is the only copy) and
the outbox must drain once the storm has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from channels.faults import FaultSpec
from tests.drills.conftest import Servers
from tests.drills.harness import (
    Ledger,
    chatflow_checks,
    drill_service,
    drill_settings,
    final_outbox_checks,
    wait_drained,
    wave,
)
from tests.drills.results import DrillRecord
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.drill, pytest.mark.integration]

CUSTOMERS = 20
STORM_ROUNDS = 10
ROUND = (
    FaultSpec(mode="500", count=2),
    FaultSpec(mode="429", count=2, retry_after=0.2),
    FaultSpec(mode="timeout", count=1, seconds=10),  # held until our client gives up (1 s)
    FaultSpec(mode="503", count=1),
)


async def test_provider_500_429_timeout_storm(servers: Servers, drill_record: DrillRecord) -> None:
    drill_record.fault = "ChatFlow 500/503/429/timeout storm"
    settings = drill_settings(servers.redis.url, servers.database_url, send_timeout_seconds=1.0)
    async with drill_service(servers.db, settings) as svc:
        for _ in range(STORM_ROUNDS):
            for spec in ROUND:
                svc.emulator.faults.add(spec)
        drill_record.faults_injected = STORM_ROUNDS * sum(spec.count for spec in ROUND)
        ledger = Ledger()
        await wave(svc.client, ledger, 0, CUSTOMERS)
        await wait_until(lambda: not svc.emulator.faults.pending(), 60, "the storm to pass")
        cleared = time.monotonic()
        drained = await wait_drained(servers.db, ledger, lambda: {d.jid for d in svc.emulator.deliveries})
        await asyncio.sleep(0.3)  # a late duplicate would show up by now
        ledger.fill(drill_record)
        drill_record.recovery_seconds = round(drained - cleared, 3)
        statuses = Counter(str(c.status) for c in svc.emulator.calls)
        drill_record.extra = {"provider calls": dict(sorted(statuses.items()))}
        chatflow_checks(svc.emulator, drill_record)
        final_outbox_checks(servers.db)
        assert len({d.jid for d in svc.emulator.deliveries}) == CUSTOMERS
        assert drill_record.deliveries == CUSTOMERS, "one reply per customer"
        assert statuses["504"] == STORM_ROUNDS and statuses["429"] == 2 * STORM_ROUNDS
