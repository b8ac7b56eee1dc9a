"""End-to-end latency: HTTP webhook → PostgreSQL + Redis → worker → outbox → ChatFlow emulator.

Three processes as in production: the API (uvicorn, the real app), the workers (this process, a real
``WorkerPool`` on the Redis broker) and the ChatFlow emulator. ``--messages`` customer messages (each
from its own customer, so every one is a turn) are posted at ``--rate`` per second over loopback. The
latencies come from the STORED timestamps of every turn: received → decided → outbox created → sent.
The coalescing window (the pack's ``conversation.coalesce_seconds`` unless ``--window`` is given) is
a deliberate wait, so it is reported on its own and subtracted.

Uses its own database and Redis DB (wiped first): ``postgresql+psycopg://postgres@127.0.0.1:5432/bench``
and ``redis://127.0.0.1:6379/14`` (``TRUFFLES_BENCH_E2E_DATABASE_URL`` / ``TRUFFLES_BENCH_E2E_REDIS_URL``).

    uv run python -m bench.bench_e2e [--messages 100] [--rate 10] [--window 1.0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import psycopg
import redis
from psycopg import sql
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.suite_machine import ROOT, ms, pct, summary, table
from channels.chatflow.player import build_inbound_payload, new_message_id

PG_URL = os.environ.get(
    "TRUFFLES_BENCH_E2E_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
)
REDIS_URL = os.environ.get("TRUFFLES_BENCH_E2E_REDIS_URL", "redis://127.0.0.1:6379/14")
TENANT = "demo_salon"
SECRET = "bench-e2e-secret"
QUESTIONS = (
    "Сколько стоит маникюр?",
    "Где вы находитесь?",
    "До скольки работаете?",
    "Можно оплатить через Kaspi?",
    "Хочу записаться на педикюр",
)


def _env(window: float | None) -> dict[str, str]:
    env = {
        "TRUFFLES_DATABASE_URL": PG_URL,
        "TRUFFLES_REDIS_URL": REDIS_URL,
        "TRUFFLES_BROKER": "redis",
        "TRUFFLES_RATE_TENANT_TEXT": "1000000/1000000",
        "TRUFFLES_RATE_CUSTOMER_TEXT": "1000000/1000000",
        "TRUFFLES_SWEEP_INTERVAL_SECONDS": "3600",
        "TRUFFLES_PACK_RELOAD_SECONDS": "0",
    }
    if window is not None:
        env["TRUFFLES_COALESCE_SECONDS"] = str(window)
    return env


def _runtime(emulator_url: str | None = None) -> Any:
    from config.settings import load_settings
    from workers.service import build_runtime, load_packs

    packs = [p for p in load_packs(ROOT / "packs") if p.tenant_id == TENANT]
    return build_runtime(
        load_settings(),
        packs=packs,
        migrate=False,
        chatflow_base_url=emulator_url,
        overrides={TENANT: {"webhook_secret": SECRET, "chatflow_token": "bench"}},
    )


def app_factory() -> object:
    """uvicorn ``--factory`` entry point of the API process."""
    from api.app import create_app
    from workers.heap import freeze_startup_heap

    app = create_app(_runtime())
    freeze_startup_heap()  # as `truffles serve` does
    return app


def _fresh_stores() -> None:
    from storage import open_database, upgrade_to_head

    url = make_url(PG_URL)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database or "bench")))
    db = open_database(PG_URL)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(db.engine)
    db.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()


def run(messages: int, rate: float, window: float | None, timeout: float) -> dict[str, Any]:
    from bench.bench_service_common import free_port, start_emulator_process, wait_for_port
    from storage.models import Message, OutboxRow
    from workers.service import WorkerPool

    _fresh_stores()
    os.environ.update(_env(window))
    emulator_port, api_port = free_port(), free_port()
    emulator = start_emulator_process(emulator_port)
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bench_e2e:app_factory", "--factory", "--port", str(api_port),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    pool = None
    try:
        rt = _runtime(f"http://127.0.0.1:{emulator_port}/api/v1")
        coalesce = rt.tenants.get(TENANT).coalesce_seconds
        pool = WorkerPool(rt, sweep=False)
        pool.start()
        wait_for_port(api_port, 60)
        url = f"http://127.0.0.1:{api_port}/webhooks/chatflow/{TENANT}"
        acks: list[float] = []
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=10) as client:
            for n in range(messages):
                body = build_inbound_payload(TENANT, QUESTIONS[n % len(QUESTIONS)], phone=f"7705{n:07d}",
                                             message_id=new_message_id())  # fmt: skip
                t0 = time.perf_counter()
                response = client.post(url, json=body, headers={"X-Webhook-Secret": SECRET})
                acks.append(time.perf_counter() - t0)
                response.raise_for_status()
                time.sleep(max(0.0, 1.0 / rate - (time.perf_counter() - t0)))
        sent = OutboxRow.sent_at.is_not(None)
        while True:
            with rt.db.session_factory() as session:
                done = session.execute(select(func.count()).select_from(OutboxRow).where(sent)).scalar_one()
            if done >= messages:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done}/{messages} replies sent within {timeout:.0f} s")
            time.sleep(0.1)
        with rt.db.session_factory() as session:
            rows = session.execute(
                select(Message.received_at, Message.decided_at, OutboxRow.created_at, OutboxRow.sent_at)
                .join(OutboxRow, OutboxRow.idempotency_key == func.concat("reply-", Message.id))
                .where(sent)
            ).all()
    finally:
        if pool is not None:
            pool.stop()
        api.terminate()
        api.wait(10)
        emulator.terminate()
        emulator.wait(10)
    return {"rows": rows, "acks": acks, "window": coalesce, "messages": messages, "rate": rate}


def report(messages: int, rate: float, window: float | None, timeout: float) -> str:
    m = run(messages, rate, window, timeout)
    w = m["window"]
    rows = m["rows"]
    parts = {
        "webhook ACK (client-observed HTTP round trip)": m["acks"],
        "received → sent (end to end, window included)": [(s - r).total_seconds() for r, _, _, s in rows],
        "received → sent − window": [(s - r).total_seconds() - w for r, _, _, s in rows],
        "received → decided − window (processing)": [(d - r).total_seconds() - w for r, d, _, _ in rows],
        "outbox created → sent (send)": [(s - c).total_seconds() for _, _, c, s in rows],
    }
    body = [(k, len(v), ms(pct(v, 50)), ms(pct(v, 90)), ms(pct(v, 99))) for k, v in parts.items()]
    head = (
        f"{len(rows)} turns ({m['messages']} messages posted at {m['rate']:g}/s, one customer each; mixed "
        f"questions incl. a LAW escalation and a booking step); coalescing window **{w * 1000:.0f} ms** "
        "(waited on purpose, so shown separately). API (uvicorn, 1 process), workers (8 threads, Redis "
        "broker) and the ChatFlow emulator are three processes on this machine, with PostgreSQL and Redis."
    )
    e2e = parts["received → sent − window"]
    line = summary(
        e2e_window_ms=round(w * 1000),
        e2e_p50_ms=round(pct(e2e, 50) * 1000, 1),
        e2e_p99_ms=round(pct(e2e, 99) * 1000, 1),
    )
    return head + "\n\n" + table(("span", "n", "p50 ms", "p90 ms", "p99 ms"), body) + "\n" + line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=None, help="coalescing window (default: the pack's)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    print(report(args.messages, args.rate, args.window, args.timeout))


if __name__ == "__main__":
    main()
