"""Drills: the private Redis, then the private PostgreSQL, die mid-traffic and come back.

Redis is SIGKILLed and restarted empty (``--save ''``): every queued and delayed job is gone, so the
sweeper must find the stored-but-unprocessed messages and the overdue outbox rows. PostgreSQL is
stopped with ``-m immediate`` (every connection dies mid-transaction) while replies are in flight;
webhooks meanwhile get 5xx and the provider delivers them again. Both servers keep their port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from channels.faults import FaultSpec
from tests.drills.conftest import Servers
from tests.drills.harness import (
    DrillService,
    Ledger,
    chatflow_checks,
    drill_service,
    drill_settings,
    final_outbox_checks,
    wait_drained,
    wave,
)
from tests.drills.results import DrillRecord
from tests.drills.test_worker_kill import sending_rows
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.drill, pytest.mark.slow, pytest.mark.integration]

WAVE = 10
DOWN_SECONDS = 3.0


async def _outage(
    svc: DrillService,
    servers: Servers,
    record: DrillRecord,
    *,
    down: Callable[[], None],
    up: Callable[[], None],
    in_flight: Callable[[], bool],
) -> None:
    """Wave 1, the server dies once ``in_flight()``, wave 2 arrives during the outage, the server returns."""
    ledger = Ledger()
    await wave(svc.client, ledger, 0, WAVE)
    await wait_until(in_flight, 30, "traffic in flight")
    delivered_before = len(svc.emulator.deliveries)
    await asyncio.to_thread(down)
    second = asyncio.create_task(wave(svc.client, ledger, WAVE, WAVE))
    await asyncio.sleep(DOWN_SECONDS)
    await asyncio.to_thread(up)
    cleared = time.monotonic()
    await second
    drained = await wait_drained(servers.db, ledger, lambda: {d.jid for d in svc.emulator.deliveries})
    await asyncio.sleep(0.5)  # a late duplicate would show up by now
    ledger.fill(record)
    record.recovery_seconds = round(drained - cleared, 3)
    record.extra = {
        "down s": DOWN_SECONDS,
        "replies before the outage": delivered_before,
        "webhook answers": dict(sorted(ledger.statuses.items())),
    }
    chatflow_checks(svc.emulator, record)
    final_outbox_checks(servers.db)
    assert record.deliveries == 2 * WAVE, "one reply per customer"


async def test_redis_restart(servers: Servers, drill_record: DrillRecord) -> None:
    drill_record.fault = f"Redis SIGKILL, {DOWN_SECONDS:g} s down, restarted empty"
    drill_record.faults_injected = 1
    settings = drill_settings(servers.redis.url, servers.database_url)
    async with drill_service(servers.db, settings) as svc:
        await _outage(
            svc, servers, drill_record,
            down=servers.redis.stop, up=servers.redis.start,
            in_flight=lambda: len(svc.emulator.deliveries) >= 3,
        )  # fmt: skip


async def test_postgres_restart(servers: Servers, drill_record: DrillRecord) -> None:
    drill_record.fault = f"PostgreSQL immediate stop with sends in flight, {DOWN_SECONDS:g} s down"
    drill_record.faults_injected = 1
    settings = drill_settings(servers.redis.url, servers.database_url)
    async with drill_service(servers.db, settings) as svc:
        svc.emulator.faults.add(FaultSpec(mode="slow", count=3, seconds=1.0, endpoint="send-text"))
        await _outage(
            svc, servers, drill_record,
            down=servers.pg.stop, up=servers.pg.start,
            in_flight=lambda: sending_rows(servers.db) >= 2,
        )  # fmt: skip
