"""Drill: a duplicate webhook storm — every message delivered six times, and the dedup cache lost midway.

Twenty customers send two messages each. The provider delivers every message three times at once,
then (after the Redis dedup marks are wiped, as a Redis failover would) three more times while the
replies go out. The database's unique constraint must keep exactly one copy of each message, each
turn must be answered once, and no reply may go out twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import pytest
import redis

from channels.chatflow.player import build_inbound_payload, new_message_id
from tests.drills.conftest import Servers
from tests.drills.harness import (
    QUESTIONS,
    Ledger,
    backlog,
    chatflow_checks,
    drill_service,
    drill_settings,
    final_outbox_checks,
    phone,
    wait_drained,
)
from tests.drills.results import DrillRecord
from tests.e2e.harness import SECRET, TENANT, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.drill, pytest.mark.integration]

CUSTOMERS = 20
PER_CUSTOMER = 2
COPIES = 3
"""Copies delivered at once, before and again after the dedup cache is wiped."""


async def _copy(client: httpx.AsyncClient, payload: dict[str, Any]) -> str:
    response = await client.post(
        f"/webhooks/chatflow/{TENANT}", json=payload, headers={"X-Webhook-Secret": SECRET}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def _wipe_dedup_marks(url: str) -> int:
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        keys = list(client.scan_iter("truffles:dedup:*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


async def test_duplicate_webhook_storm(servers: Servers, drill_record: DrillRecord) -> None:
    drill_record.fault = f"every webhook x{2 * COPIES}, dedup cache wiped midway"
    settings = drill_settings(servers.redis.url, servers.database_url)
    ledger = Ledger()
    payloads: list[dict[str, Any]] = []
    for i in range(CUSTOMERS):
        for j in range(PER_CUSTOMER):
            mid = new_message_id()
            payloads.append(
                build_inbound_payload(TENANT, QUESTIONS[(i + j) % 3], phone=phone(i), message_id=mid)
            )
            ledger.accepted[mid] = f"{phone(i)}@s.whatsapp.net"
            ledger.customers.add(f"{phone(i)}@s.whatsapp.net")
    async with drill_service(servers.db, settings) as svc:
        first = await asyncio.gather(*(_copy(svc.client, p) for p in payloads for _ in range(COPIES)))
        await wait_until(lambda: len(svc.emulator.deliveries) >= CUSTOMERS // 2, 30, "replies going out")
        wiped = _wipe_dedup_marks(servers.redis.url)
        second = await asyncio.gather(*(_copy(svc.client, p) for p in payloads for _ in range(COPIES)))
        storm_over = time.monotonic()
        drained = await wait_drained(servers.db, ledger, lambda: {d.jid for d in svc.emulator.deliveries})
        await asyncio.sleep(0.5)  # a late duplicate reply would show up by now
        answers = Counter(first + second)
        ledger.fill(drill_record)
        drill_record.webhook_retries = len(first) + len(second) - len(payloads)
        drill_record.faults_injected = drill_record.webhook_retries
        drill_record.recovery_seconds = round(drained - storm_over, 3)
        drill_record.extra = {"webhook answers": dict(sorted(answers.items())), "dedup marks wiped": wiped}
        chatflow_checks(svc.emulator, drill_record)
        final_outbox_checks(servers.db)
        assert answers["stored"] == len(payloads), "each message stored exactly once"
        assert len(backlog(servers.db).stored) == len(payloads)
        assert answers["duplicate"] == len(first) + len(second) - len(payloads)
        assert wiped > 0
