"""A whole service in the test process: API app, worker threads, ChatFlow emulator on a real socket.

Backends: ``embedded`` (SQLite file + in-process broker + in-memory ports) and ``production``
(real PostgreSQL + Redis broker/ports; skipped locally when absent, a failure under ``CI=true``).
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from litestar import Litestar
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.app import create_app
from channels.chatflow.emulator import ChatFlowEmulator, Delivery, create_chatflow_emulator_app
from channels.chatflow.player import build_inbound_payload
from channels.serving import serve_in_thread
from config.compile.compiled import CompiledPack
from config.settings import ServiceSettings, load_settings
from storage import Database, open_database, upgrade_to_head
from storage.models import Base
from workers.runtime import Runtime
from workers.service import WorkerPool, build_runtime
from workers.tenants import compile_pack_dir

REPO = Path(__file__).resolve().parents[2]
TENANT = "demo_salon"
SECRET = "test-webhook-secret"
TOKEN = "cf-test-token"
ADMIN_TOKEN = "test-admin-token"
PHONE = "77011234567"
SMOKE = (
    "Сколько стоит маникюр, сколько длится, где находитесь и можно записаться?",
    "по адресу",
    "по записи",
)
PG_URL = os.environ.get(
    "TRUFFLES_TEST_SERVICE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/truffles_service_test"
)
REDIS_URL = os.environ.get("TRUFFLES_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
WAIT_SECONDS = 10.0


@functools.cache
def demo_pack() -> CompiledPack:
    return compile_pack_dir(REPO / "packs" / TENANT)


@functools.cache
def other_pack() -> CompiledPack:
    return compile_pack_dir(REPO / "packs" / "auto_service")


def unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is unreachable: {type(exc).__name__}: {exc}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: integration tests must run)")
    pytest.skip(message)


def service_settings(**overrides: Any) -> ServiceSettings:
    base: dict[str, Any] = {
        "coalesce_seconds": 0.05,
        "outbox_backoff_base_seconds": 0.02,
        "outbox_backoff_max_seconds": 0.2,
        "send_timeout_seconds": 2.0,
        "sweep_interval_seconds": 3600.0,
        "worker_threads": 4,
    }
    return load_settings({}, **{**base, **overrides})


@contextmanager
def sqlite_database(template: Path, tmp_path: Path) -> Iterator[Database]:
    target = tmp_path / "truffles.db"
    shutil.copyfile(template, target)
    db = open_database(f"sqlite:///{target}")
    try:
        yield db
    finally:
        db.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    db = open_database(f"sqlite:///{path}")
    upgrade_to_head(db.engine)
    db.dispose()
    return path


def postgres_database() -> Database:
    """The service test database, migrated from a clean schema (once per session)."""
    name = make_url(PG_URL).database or "truffles_service_test"
    admin = (
        make_url(PG_URL)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL at {PG_URL}", exc)
    db = open_database(PG_URL)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(db.engine)
    return db


def empty_tables(db: Database) -> None:
    names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


def redis_test_client() -> redis.Redis:
    """Redis DB 5 (only that one is ever flushed)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)
    client.flushdb()
    return client


@dataclass
class Service:
    rt: Runtime
    emulator: ChatFlowEmulator
    client: httpx.AsyncClient
    pool: WorkerPool | None
    app: Litestar | None = None

    async def post(self, payload: Any, *, tenant: str = TENANT, secret: str | None = SECRET,
                   path: str | None = None, content: bytes | None = None) -> httpx.Response:  # fmt: skip
        headers = {"X-Webhook-Secret": secret} if secret is not None else {}
        url = path or f"/webhooks/chatflow/{tenant}"
        if content is not None:
            return await self.client.post(url, content=content, headers=headers)
        return await self.client.post(url, json=payload, headers=headers)

    async def say(self, text: str, *, phone: str = PHONE, message_id: str | None = None,
                  tenant: str = TENANT, **kwargs: Any) -> httpx.Response:  # fmt: skip
        payload = build_inbound_payload(tenant, text, phone=phone, message_id=message_id, **kwargs)
        return await self.post(payload, tenant=tenant)

    async def wait_deliveries(self, count: int, timeout: float = WAIT_SECONDS) -> list[Delivery]:
        await wait_until(lambda: len(self.emulator.deliveries) >= count, timeout, f"{count} deliveries")
        return list(self.emulator.deliveries)

    def store(self, tenant: str = TENANT) -> Any:
        return self.rt.tenants.get(tenant).store


@asynccontextmanager
async def workers_running(service: Service) -> AsyncIterator[WorkerPool]:
    """A worker pool started now on ``service``'s runtime (e.g. after a simulated loss), then stopped."""
    pool = WorkerPool(service.rt, sweep=False)
    pool.start()
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.stop, timeout_ms=3000)


async def wait_until(
    predicate: Callable[[], bool], timeout: float = WAIT_SECONDS, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def running_service(
    db: Database,
    *,
    settings: ServiceSettings | None = None,
    redis_client: redis.Redis | None = None,
    workers: bool = True,
    packs: list[CompiledPack] | None = None,
    emulator: ChatFlowEmulator | None = None,
    clock: Callable[[], Any] | None = None,
) -> AsyncIterator[Service]:
    emu = emulator or create_chatflow_emulator_app(tokens={TOKEN})
    chosen = settings or service_settings()
    if redis_client is not None:
        chosen = load_settings({}, **{**_fields(chosen), "broker": "redis"})
    with serve_in_thread(emu) as emu_url:
        overrides = {p.tenant_id: {"webhook_secret": SECRET, "chatflow_token": TOKEN}
                     for p in (packs or [demo_pack()])}  # fmt: skip
        kwargs: dict[str, Any] = {"clock": clock} if clock is not None else {}
        rt = build_runtime(
            chosen, packs=packs or [demo_pack()], db=db, migrate=False, chatflow_base_url=f"{emu_url}/api/v1",
            redis=redis_client, overrides=overrides, broker_namespace=f"truffles-test-{uuid.uuid4().hex[:8]}",
            **kwargs,
        )  # fmt: skip
        pool = WorkerPool(rt, sweep=False) if workers else None
        if pool is not None:
            pool.start()
        app = create_app(rt, environ={rt.settings.admin_token_env: ADMIN_TOKEN})
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://truffles.test") as client:
                yield Service(rt=rt, emulator=emu, client=client, pool=pool, app=app)
        finally:
            await app.state.edge.close()  # what the app's shutdown does (ASGITransport runs no lifespan)
            if pool is not None:
                await asyncio.to_thread(pool.stop, timeout_ms=3000)
            closer = getattr(rt.sender, "close", None)
            if callable(closer):
                await asyncio.to_thread(closer)  # senders used directly by a test (no pool)


def _fields(settings: ServiceSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__struct_fields__}
