"""What every drill shares: a service on the private servers, a provider-like webhook poster, the checks.

The poster behaves like ChatFlow: a webhook that gets a 5xx (or no answer) is delivered again
until it is acknowledged. The checks are the drills' promises: no inbound message lost, no outbound
message delivered twice (the emulator's log by ``msg_id`` = our idempotency key), every customer
answered or handed over, the backlog drained (no ``pending``/``sending`` outbox rows).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from api.app import create_app
from channels.chatflow.emulator import ChatFlowEmulator, create_chatflow_emulator_app
from channels.chatflow.player import build_inbound_payload, new_message_id
from channels.serving import serve_in_thread
from config.settings import ServiceSettings
from storage import Database, Direction, OutboxStatus
from storage.models import Conversation, Customer, Handover, Message, OutboxRow
from tests.drills.results import DrillRecord
from tests.e2e.harness import ADMIN_TOKEN, SECRET, TENANT, TOKEN, Service, demo_pack, service_settings
from workers.service import WorkerPool, build_runtime, redis_client
from workers.sweeper import Sweeper

__all__ = [
    "DrillService",
    "Ledger",
    "backlog",
    "drill_service",
    "drill_settings",
    "phone",
    "post_until_accepted",
    "wait_drained",
    "wave",
]

POST_DEADLINE_SECONDS = 60.0
DRAIN_TIMEOUT_SECONDS = 60.0
QUESTIONS = ("Сколько стоит маникюр?", "Где вы находитесь?", "Сколько длится маникюр?")


def phone(index: int) -> str:
    return f"7701{index:07d}"


def drill_settings(redis_url: str, database_url: str, **overrides: Any) -> ServiceSettings:
    """Production mode (Redis broker) with drill-sized timings: short backoffs, a fast sweeper."""
    base: dict[str, Any] = {
        "broker": "redis",
        "redis_url": redis_url,
        "database_url": database_url,
        "outbox_backoff_base_seconds": 0.05,
        "outbox_backoff_max_seconds": 1.0,
        "outbox_max_attempts": 30,
        "send_timeout_seconds": 2.0,
        "sweep_interval_seconds": 0.5,
        "stuck_sending_seconds": 10.0,  # ≫ send timeout + a database blip (production: 60 s ≫ 15 s)
        "stuck_inbound_grace_seconds": 1.0,
        "worker_threads": 4,
    }
    return service_settings(**{**base, **overrides})


@dataclass
class DrillService(Service):
    emulator_url: str = ""
    """The ChatFlow emulator's API root (``…/api/v1``), for worker processes started by a drill."""


@asynccontextmanager
async def drill_service(
    db: Database,
    settings: ServiceSettings,
    *,
    workers: bool = True,
    sweep: bool = True,
    namespace: str | None = None,
    emulator: ChatFlowEmulator | None = None,
) -> AsyncIterator[DrillService]:
    """API (in-process ASGI client) + worker threads + the sweeper, on the settings' Redis and ``db``."""
    emu = emulator or create_chatflow_emulator_app(tokens={TOKEN})
    client = redis_client(settings.redis_url)
    with serve_in_thread(emu) as emu_url:
        rt = build_runtime(
            settings, packs=[demo_pack()], db=db, migrate=False, chatflow_base_url=f"{emu_url}/api/v1",
            redis=client, overrides={TENANT: {"webhook_secret": SECRET, "chatflow_token": TOKEN}},
            broker_namespace=namespace or f"drill-{uuid.uuid4().hex[:8]}", environ={},
        )  # fmt: skip
        pool = WorkerPool(rt, sweep=False) if workers else None
        sweeper = Sweeper(rt, settings.sweep_interval_seconds) if sweep else None
        app: Any = create_app(rt, environ={rt.settings.admin_token_env: ADMIN_TOKEN})
        try:
            for part in (pool, sweeper):
                if part is not None:
                    part.start()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://truffles.test", timeout=30
            ) as http:
                yield DrillService(
                    rt=rt, emulator=emu, client=http, pool=pool, emulator_url=f"{emu_url}/api/v1"
                )
        finally:
            await app.state.edge.close()  # what the app's shutdown does (ASGITransport runs no lifespan)
            if sweeper is not None:
                await asyncio.to_thread(sweeper.stop)
            if pool is not None:
                await asyncio.to_thread(pool.stop, timeout_ms=3000)  # a no-op if it never started
            else:
                closer = getattr(rt.sender, "close", None)
                if callable(closer):
                    await asyncio.to_thread(closer)
            client.close()


@dataclass
class Ledger:
    """What the provider handed us: message id -> customer jid, and how hard it had to try."""

    accepted: dict[str, str] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    attempts: int = 0
    retries: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def fill(self, record: DrillRecord) -> None:
        record.customers = len(self.customers)
        record.inbound_accepted = len(self.accepted)
        record.webhook_retries = self.retries


async def post_until_accepted(
    client: httpx.AsyncClient,
    ledger: Ledger,
    text: str,
    phone_number: str,
    *,
    message_id: str | None = None,
    deadline_seconds: float = POST_DEADLINE_SECONDS,
) -> str:
    """Deliver one webhook like the provider does: again and again until a 2xx (4xx fails the drill)."""
    mid = message_id or new_message_id()
    payload = build_inbound_payload(TENANT, text, phone=phone_number, message_id=mid)
    ledger.customers.add(f"{phone_number}@s.whatsapp.net")
    deadline = time.monotonic() + deadline_seconds
    while True:
        ledger.attempts += 1
        try:
            response = await client.post(
                f"/webhooks/chatflow/{TENANT}", json=payload, headers={"X-Webhook-Secret": SECRET}
            )
            status = response.status_code
        except httpx.HTTPError:  # the edge did not answer at all
            status = 0
        ledger.statuses[str(status)] = ledger.statuses.get(str(status), 0) + 1
        if 200 <= status < 300:
            ledger.accepted[mid] = f"{phone_number}@s.whatsapp.net"
            return mid
        if 400 <= status < 500:
            raise AssertionError(f"webhook {mid} refused with {status}: {response.text}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"webhook {mid} not acknowledged within {deadline_seconds:g}s (last {status})"
            )
        ledger.retries += 1
        await asyncio.sleep(0.1)


async def wave(client: httpx.AsyncClient, ledger: Ledger, start: int, count: int) -> None:
    """Customers ``start`` … ``start + count - 1`` each ask one question, all at once."""
    await asyncio.gather(
        *(
            post_until_accepted(client, ledger, QUESTIONS[i % 3], phone(i))
            for i in range(start, start + count)
        )
    )


@dataclass(frozen=True)
class Backlog:
    """The database's view at one instant (every tenant)."""

    stored: frozenset[str]
    unprocessed: int
    outbox: dict[str, int]
    handover_jids: frozenset[str]

    @property
    def waiting(self) -> int:
        return self.outbox.get("pending", 0) + self.outbox.get("sending", 0)


def backlog(db: Database) -> Backlog:
    with db.session_factory() as session:
        inbound = session.execute(
            select(Message.provider_message_id, Message.processed).where(Message.direction == Direction.IN)
        ).all()
        outbox = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        handed = session.scalars(
            select(Customer.jid)
            .join(Conversation, (Conversation.tenant_id == Customer.tenant_id)
                  & (Conversation.customer_id == Customer.id))
            .join(Handover, (Handover.tenant_id == Conversation.tenant_id)
                  & (Handover.conversation_id == Conversation.id))
        ).all()  # fmt: skip
    return Backlog(
        stored=frozenset(str(m) for m, _ in inbound if m),
        unprocessed=sum(1 for _, processed in inbound if not processed),
        outbox={status.value: int(n) for status, n in outbox},
        handover_jids=frozenset(handed),
    )


def problems(db: Database, ledger: Ledger, delivered_jids: set[str]) -> list[str]:
    """Every broken promise right now (empty = drained and whole)."""
    state = backlog(db)
    found: list[str] = []
    lost = set(ledger.accepted) - state.stored
    if lost:
        found.append(f"{len(lost)} acknowledged inbound message(s) not stored")
    if state.unprocessed:
        found.append(f"{state.unprocessed} inbound message(s) not processed")
    if state.waiting:
        found.append(f"outbox backlog {state.outbox}")
    unanswered = ledger.customers - delivered_jids - state.handover_jids
    if unanswered:
        found.append(f"{len(unanswered)} customer(s) without a reply or a hand-over")
    return found


async def wait_drained(
    db: Database,
    ledger: Ledger,
    delivered_jids: Callable[[], set[str]],
    *,
    timeout: float = DRAIN_TIMEOUT_SECONDS,
) -> float:
    """Wait until nothing is lost, pending or unanswered; returns when that happened (monotonic)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(problems, db, ledger, delivered_jids())
        if not found:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise AssertionError(f"backlog not drained within {timeout:g}s: {'; '.join(found)}")
        await asyncio.sleep(0.05)


def chatflow_checks(emulator: ChatFlowEmulator, record: DrillRecord) -> None:
    """No message delivered twice; every delivery carried our idempotency key."""
    record.deliveries = len(emulator.deliveries)
    record.duplicates = sum(n - 1 for n in emulator.duplicates().values())
    assert all(d.msg_id for d in emulator.deliveries), "a delivery without msg_id (idempotency key)"
    dups = emulator.duplicates()
    history = {m: [(round(c.at, 3), c.status) for c in emulator.calls if c.msg_id == m] for m in dups}
    assert dups == {}, f"delivered more than once: {dups}; calls (time, status): {history}"


def final_outbox_checks(db: Database) -> dict[str, int]:
    """At the end: every row sent or deliberately cancelled, none given up."""
    state = backlog(db)
    assert state.waiting == 0, f"outbox backlog {state.outbox}"
    assert state.outbox.get(OutboxStatus.FAILED.value, 0) == 0, f"rows given up: {state.outbox}"
    return state.outbox
