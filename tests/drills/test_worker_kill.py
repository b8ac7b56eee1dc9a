"""Drill: a `truffles worker` process is SIGKILLed with sends in flight; a restarted worker finishes the job.

The API runs in the test process; the worker is a real child process (``python -m cli.main worker``)
on the same private PostgreSQL and Redis. ChatFlow holds the first sends open (they never deliver),
the worker is killed mid-send, more customers write while no worker runs, then a new worker starts.
Its sweeper finds the orphaned ``sending`` rows and the turns the dead worker had taken from Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from channels.faults import FaultSpec
from config.settings import ServiceSettings
from storage import Database, OutboxStatus
from storage.models import OutboxRow
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
from tests.drills.results import REPO, DrillRecord
from tests.e2e.harness import SECRET, TOKEN, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.drill, pytest.mark.slow, pytest.mark.integration]

BEFORE, AFTER = 10, 10
"""Customers writing before the kill, and while no worker runs."""
HELD = 2
READY = "workers started"
"""The line `truffles worker` logs once its threads consume."""
"""Sends ChatFlow holds open (of the worker's 4 threads) when the worker is killed."""
_SKIP = {
    "coalesce_seconds",
    "rate_tenant_text",
    "rate_tenant_media",
    "rate_customer_text",
    "rate_customer_media",
}


def worker_environ(settings: ServiceSettings, emulator_url: str, packs_dir: Path) -> dict[str, str]:
    """The child's environment: the same settings as ``TRUFFLES_*`` variables, the tenant's secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUFFLES_")}
    for name in settings.__struct_fields__:
        value = getattr(settings, name)
        if name not in _SKIP and value is not None:
            env[f"TRUFFLES_{name.upper()}"] = str(value)
    env |= {
        "TRUFFLES_COALESCE_SECONDS": str(settings.coalesce_seconds or 0),
        "TRUFFLES_CHATFLOW_BASE_URL": emulator_url,
        "TRUFFLES_PACKS_DIR": str(packs_dir),
        "DEMO_SALON_CHATFLOW_TOKEN": TOKEN,
        "DEMO_SALON_WEBHOOK_SECRET": SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    return env


@contextlib.contextmanager
def workers_started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every worker process the drill starts is killed (by its own pid) when the block ends."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def spawn(started: list[subprocess.Popen[bytes]], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker", "--no-migrate", "--threads", "4"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    started.append(process)
    return process


def _rows(db: Database, status: OutboxStatus) -> int:
    with db.session_factory() as session:
        count = session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status == status))
    return int(count or 0)


def sending_rows(db: Database) -> int:
    return _rows(db, OutboxStatus.SENDING)


def sent_rows(db: Database) -> int:
    return _rows(db, OutboxStatus.SENT)


async def test_worker_sigkill_mid_send(servers: Servers, drill_record: DrillRecord, tmp_path: Path) -> None:
    drill_record.fault = f"worker process SIGKILL with {HELD} sends in flight"
    settings = drill_settings(
        servers.redis.url, servers.database_url, send_timeout_seconds=8.0, stuck_sending_seconds=4.0
    )
    async with drill_service(servers.db, settings, workers=False, sweep=False, namespace="truffles") as svc:
        packs = tmp_path / "packs"
        packs.mkdir()
        (packs / "demo_salon").symlink_to(REPO / "packs" / "demo_salon")  # the tenant the API serves
        env = worker_environ(settings, svc.emulator_url, packs)
        with workers_started() as started:
            svc.emulator.faults.add(FaultSpec(mode="timeout", count=HELD, seconds=60, endpoint="send-text"))
            drill_record.faults_injected = HELD + 1
            first = spawn(started, env, tmp_path / "worker-1.log")
            ledger = Ledger()
            await wave(svc.client, ledger, 0, BEFORE)
            # Kill when every other reply is delivered AND marked sent: the only sends in flight are the
            # held ones. (A kill between ChatFlow's 200 and our commit re-sends that reply with the same
            # msg_id: at-least-once, the key lets the provider drop the copy. Not what this drill measures.)
            await wait_until(
                lambda: (
                    sent_rows(servers.db) == len(svc.emulator.deliveries) == BEFORE - HELD
                    and sending_rows(servers.db) == HELD
                ),
                60,
                f"{BEFORE - HELD} replies sent and {HELD} sends held open",
            )
            delivered_before = len(svc.emulator.deliveries)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            await wave(svc.client, ledger, BEFORE, AFTER)  # no worker runs: the API alone stores them
            await wait_until(
                lambda: [c.status for c in svc.emulator.calls].count(504) == HELD, 10, "held calls end"
            )
            restarted = time.monotonic()
            log = tmp_path / "worker-2.log"
            spawn(started, env, log)
            await wait_until(lambda: READY in log.read_text(errors="replace"), 60, "the new worker to start")
            ready = time.monotonic()
            drained = await wait_drained(servers.db, ledger, lambda: {d.jid for d in svc.emulator.deliveries})
            await asyncio.sleep(0.5)
        ledger.fill(drill_record)
        drill_record.recovery_seconds = round(drained - restarted, 3)
        drill_record.extra = {
            "replies before the kill": delivered_before,
            "new worker boot s": round(ready - restarted, 2),
            "ready → drained s": round(drained - ready, 2),
            "stuck_sending_seconds": settings.stuck_sending_seconds,
        }
        assert first.returncode == -signal.SIGKILL
        chatflow_checks(svc.emulator, drill_record)
        final_outbox_checks(servers.db)
        assert drill_record.deliveries == BEFORE + AFTER, "one reply per customer"
