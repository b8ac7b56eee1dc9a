"""Drill: the wall clock jumps forward and backward under the hand-over reminders (30 and 60 min, expiry 120).

Two sweepers run the hand-over clock at the same time after every jump (two worker processes whose
sweeps overlap). Group A is handed over at minute 0 and lives through forward and backward jumps;
group B is handed over after a backward jump and then jumps past both reminders at once. Each
hand-over must get each reminder exactly once (none twice, none missed), then one expiry note.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest

from storage import HandoverStatus
from tests.drills.conftest import Servers
from tests.drills.harness import (
    Ledger,
    drill_settings,
    final_outbox_checks,
    phone,
    post_until_accepted,
    problems,
)
from tests.drills.results import DrillRecord
from tests.e2e.harness import TENANT, wait_until
from tests.telegram.harness import Desk, OffsetClock, running_desk
from workers.reminders import run_handover_clock

pytestmark = [pytest.mark.anyio, pytest.mark.drill, pytest.mark.integration]

GROUP = 2
LAW_QUESTION = "Можно оплатить через Kaspi?"
SWEEPERS = 2


def _overlapping_sweeps(desk: Desk) -> int:
    """Two sweepers run the hand-over clock at once; returns the actions they took."""
    tenant = desk.rt.tenants.get(TENANT)
    barrier = threading.Barrier(SWEEPERS)
    actions: list[int] = []

    def sweep() -> None:
        barrier.wait()
        actions.append(run_handover_clock(desk.rt, tenant))

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sum(actions)


def _kinds(desk: Desk) -> Counter[tuple[int | None, str]]:
    """(topic, what) for every reminder and expiry note posted."""
    found: Counter[tuple[int | None, str]] = Counter()
    for m in desk.topic_messages():
        text = m.text or ""
        if text.startswith("⏰"):
            found[
                (m.thread_id, "30" if "уже 30 мин" in text else "60" if "уже 60 мин" in text else text)
            ] += 1
        elif text.startswith("⌛"):
            found[(m.thread_id, "expired")] += 1
    return found


async def _hand_over(desk: Desk, ledger: Ledger, first: int) -> None:
    for i in range(first, first + GROUP):
        await post_until_accepted(desk.client, ledger, LAW_QUESTION, phone(i))
    await wait_until(
        lambda: sum("Нужен менеджер" in (m.text or "") for m in desk.topic_messages()) == first + GROUP,
        30,
        "the hand-over cards",
    )


async def _jump(desk: Desk, servers: Servers, ledger: Ledger, clock: OffsetClock, minutes: float) -> float:
    """Move the clock, let two sweepers run, wait until what they queued is delivered; returns that time."""
    clock.advance(minutes)
    jumped = time.monotonic()
    await asyncio.to_thread(_overlapping_sweeps, desk)
    delivered = set[str]()
    await wait_until(lambda: not problems(servers.db, ledger, delivered | _jids(desk)), 30, "the backlog")
    return time.monotonic() - jumped


def _jids(desk: Desk) -> set[str]:
    return {d.jid for d in desk.chatflow.deliveries}


async def test_reminder_clock_jumps(servers: Servers, drill_record: DrillRecord) -> None:
    drill_record.fault = "clock +10, +25, −30, +30, +30, −60, +62, +70 min; two overlapping sweepers"
    clock = OffsetClock()
    settings = drill_settings(servers.redis.url, servers.database_url)
    async with running_desk(servers.db, settings=settings, clock=clock) as desk:
        ledger = Ledger()
        await _hand_over(desk, ledger, 0)  # group A at minute 0
        waits = [await _jump(desk, servers, ledger, clock, m) for m in (10, 25, -30, 30, 30, -60)]
        await _hand_over(desk, ledger, GROUP)  # group B at minute 5 (after the backward jump)
        waits += [await _jump(desk, servers, ledger, clock, m) for m in (62, 70)]
        kinds = _kinds(desk)
        ledger.fill(drill_record)
        drill_record.faults_injected = len(waits)
        drill_record.recovery_seconds = round(max(waits), 3)
        drill_record.handovers = 2 * GROUP
        drill_record.deliveries = len(desk.chatflow.deliveries)
        drill_record.duplicates = sum(n - 1 for n in kinds.values())
        drill_record.extra = {
            "reminders": sum(n for (_, k), n in kinds.items() if k in ("30", "60")),
            "expiry notes": sum(n for (_, k), n in kinds.items() if k == "expired"),
        }
        final_outbox_checks(servers.db)
        threads = {thread for thread, _ in kinds}
        assert len(threads) == 2 * GROUP, f"every hand-over got its reminders: {kinds}"
        expected = Counter({(t, k): 1 for t in threads for k in ("30", "60", "expired")})
        assert kinds == expected, f"each reminder and note exactly once: {kinds}"
        statuses = {h.status for h in desk.store().handovers.list_by_status(HandoverStatus.EXPIRED)}
        assert statuses == {HandoverStatus.EXPIRED}
        assert len(desk.store().handovers.list_by_status(HandoverStatus.EXPIRED)) == 2 * GROUP
