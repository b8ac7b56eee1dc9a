"""Worker-side benchmarks against real PostgreSQL + Redis (broker) and the ChatFlow emulator process.

``processing``: ``--messages`` customer messages are ingested (as the webhook does) at ``--rate``
per second; the workers decide them. Reported from the STORED timestamps: decided_at − received_at
− coalescing window (the rule path, no LLM), and received → sent.

``outbox``: ``--rows`` outbox rows are written, then sent by ``--threads`` worker threads to the
emulator injecting a 10 % error rate (HTTP 500). Reports messages/s and checks zero loss and zero
duplicate deliveries (every ``msg_id`` delivered exactly once).

    uv run python bench/bench_service_pipeline.py processing --messages 300
    uv run python bench/bench_service_pipeline.py outbox --rows 3000 --threads 16
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_service_common import (
    PG_URL,
    REPO,
    bench_settings,
    clear_bench_logs,
    free_port,
    fresh_database,
    fresh_redis,
    percentile,
    production_logging,
    start_emulator_process,
)
from bench.cpu_meter import CpuMeter, pids_named
from bench.machine import describe
from channels.chatflow.player import build_inbound_payload, new_message_id
from storage import Channel, OutboxDraft, OutboxStatus, open_database
from storage.models import Message, OutboxRow
from workers.heap import freeze_startup_heap
from workers.runtime import Runtime
from workers.service import WorkerPool, build_runtime, load_packs, redis_client

TENANT = "demo_salon"
QUESTIONS = (
    "Сколько стоит маникюр?",
    "Где вы находитесь?",
    "До скольки работаете?",
    "Сколько длится педикюр?",
)


def _runtime(emulator_url: str, *, fresh: bool = True, **settings: Any) -> Runtime:
    production_logging("worker")
    db = fresh_database() if fresh else open_database(PG_URL)
    if fresh:
        fresh_redis()
    packs = [p for p in load_packs(REPO / "packs") if p.tenant_id == TENANT]
    rt = build_runtime(
        bench_settings(**settings),
        packs=packs,
        db=db,
        migrate=False,
        chatflow_base_url=f"{emulator_url}/api/v1",
        redis=redis_client(bench_settings().redis_url),
        overrides={TENANT: {"webhook_secret": "bench", "chatflow_token": "bench"}},
    )
    freeze_startup_heap()  # as `truffles worker` does
    return rt


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def processing(args: argparse.Namespace, emulator_url: str, emulator_pid: int) -> None:
    from api.edge import EdgePorts
    from api.ingest import ingest

    rt = _runtime(emulator_url, coalesce_seconds=args.window, worker_threads=args.threads)
    tenant = rt.tenants.get(TENANT)
    ports = EdgePorts(rt)
    pool = WorkerPool(rt, sweep=False)
    pool.start()
    try:
        gap = 1.0 / args.rate
        for n in range(args.messages):
            body = build_inbound_payload(
                TENANT, QUESTIONS[n % len(QUESTIONS)], phone=f"7702{n:07d}", message_id=new_message_id()
            )
            ingest(rt, ports, tenant, msgspec.json.encode(body))
            time.sleep(gap)
        _wait(lambda: _count(rt, OutboxRow.sent_at.is_not(None)) >= args.messages, 120, "all replies sent")
    finally:
        pool.stop()
    with rt.db.session_factory() as session:
        rows = session.execute(
            select(Message.received_at, Message.decided_at).where(Message.decided_at.is_not(None))
        )
        decided = [(d - r).total_seconds() - args.window for r, d in rows if d is not None]
        sent = session.execute(select(OutboxRow.created_at, OutboxRow.sent_at)).all()
        to_sent = [(s - c).total_seconds() for c, s in sent if s is not None]
    ms = [x * 1000 for x in decided]
    print(describe())
    print(
        f"{len(ms)} turns at {args.rate:g} msg/s, window {args.window * 1000:.0f} ms, {args.threads} threads"
    )
    print(
        "processing (decided − received − window) ms: "
        f"p50 {percentile(ms, 50):.1f}  p90 {percentile(ms, 90):.1f}  p99 {percentile(ms, 99):.1f}"
    )
    out = [x * 1000 for x in to_sent]
    print(f"outbox created → sent ms: p50 {percentile(out, 50):.1f}  p90 {percentile(out, 90):.1f}")


def _count(rt: Runtime, *where: Any) -> int:
    with rt.db.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(OutboxRow).where(*where)).scalar_one())


def outbox(args: argparse.Namespace, emulator_url: str, emulator_pid: int) -> None:
    rt = _runtime(
        emulator_url,
        worker_threads=args.threads,
        outbox_backoff_base_seconds=0.05,
        outbox_backoff_max_seconds=1.0,
        outbox_max_attempts=20,
    )
    store = rt.tenants.get(TENANT).store
    conversations = [store.conversations.get_or_create(f"7703{n:07d}@s.whatsapp.net") for n in range(100)]
    ids = []
    for n in range(args.rows):
        conversation = conversations[n % len(conversations)]
        row = store.outbox.enqueue(
            OutboxDraft(
                idempotency_key=f"bench-{n}",
                channel=Channel.CHATFLOW,
                conversation_id=conversation.id,
                payload={"kind": "text", "jid": conversation.jid, "text": f"Ответ {n}"},
            )
        )
        ids.append(row.id)
    httpx.post(f"{emulator_url}/_emulator/faults", json={"error_rate": 0.1, "seed": 7}).raise_for_status()
    pool = WorkerPool(rt, sweep=False)
    pool.start()
    stop = multiprocessing.get_context("spawn").Event()
    extra = [
        multiprocessing.get_context("spawn").Process(
            target=_worker_process, args=(emulator_url, args.threads, stop), daemon=True
        )
        for _ in range(args.processes - 1)
    ]
    for process in extra:
        process.start()
    time.sleep(0 if not extra else 8)  # every extra worker process has compiled its pack
    meter = _meter(emulator_pid, [p.pid for p in extra if p.pid is not None])
    meter.start()
    started = time.perf_counter()
    try:
        for row_id in ids:
            rt.queue.send_outbox(TENANT, row_id)
        done = OutboxRow.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED])
        _wait(lambda: _count(rt, done) >= args.rows, 300, "every row sent")
        elapsed = time.perf_counter() - started
        spent = meter.stop()
    finally:
        pool.stop()
        stop.set()
        for process in extra:
            process.join(30)
    per_id = httpx.get(f"{emulator_url}/_emulator/msg-ids").json()
    calls = httpx.get(f"{emulator_url}/_emulator/calls").json()
    failed = _count(rt, OutboxRow.status == OutboxStatus.FAILED)
    errors = sum(1 for c in calls if c["status"] != 200)
    print(describe())
    print(
        f"{args.rows} rows, {args.processes} worker process(es) × {args.threads} threads, "
        f"emulator error rate 10 % ({errors} injected errors)"
    )
    print(f"outbox throughput: {args.rows / elapsed:.0f} msg/s ({elapsed:.2f}s)")
    lost = args.rows - len(per_id) + failed
    duplicates = sum(1 for n in per_id.values() if n > 1)
    print(f"lost: {lost}  duplicate deliveries: {duplicates}  failed rows: {failed}")
    print(CpuMeter.per_item(spent, args.rows))


def _worker_process(emulator_url: str, threads: int, stop: Any) -> None:
    """Another worker process on the same broker and database (production scales out like this)."""
    rt = _runtime(
        emulator_url,
        fresh=False,
        worker_threads=threads,
        outbox_backoff_base_seconds=0.05,
        outbox_backoff_max_seconds=1.0,
        outbox_max_attempts=20,
    )
    pool = WorkerPool(rt, sweep=False)
    pool.start()
    stop.wait()
    pool.stop()


def _meter(emulator_pid: int, worker_pids: list[int] | None = None) -> CpuMeter:
    return CpuMeter(
        {
            "workers": lambda: [os.getpid(), *(worker_pids or [])],
            "emulator": lambda: [emulator_pid],
            "postgres": lambda: pids_named("postgres"),
            "redis": lambda: pids_named("redis-server"),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="which", required=True)
    p = sub.add_parser("processing")
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--rate", type=float, default=25.0, help="messages per second")
    p.add_argument("--window", type=float, default=0.2, help="coalescing window, seconds")
    p.add_argument("--threads", type=int, default=8)
    o = sub.add_parser("outbox")
    o.add_argument("--rows", type=int, default=3000)
    o.add_argument("--threads", type=int, default=16, help="worker threads per process")
    o.add_argument("--processes", type=int, default=1, help="worker processes")
    args = parser.parse_args()
    clear_bench_logs()
    port = free_port()
    emulator = start_emulator_process(port)
    try:
        (processing if args.which == "processing" else outbox)(args, f"http://127.0.0.1:{port}", emulator.pid)
    finally:
        emulator.terminate()
        emulator.wait(10)


if __name__ == "__main__":
    main()
