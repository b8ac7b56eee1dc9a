"""Webhook ACK throughput and latency against real PostgreSQL + Redis.

The API runs under uvicorn in separate processes (``--api-processes``); a loopback load generator
(``--clients`` processes × ``--concurrency`` connections each) posts ``--requests`` distinct
messages from ``--customers`` customers, bounded by ``--max-seconds``. Every request does the real
work: secret check, parse, Redis dedup, Redis rate limits, one PostgreSQL transaction, Redis enqueue.

    uv run python bench/bench_service_ack.py --requests 6000 --api-processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_service_common import (
    REPO,
    bench_settings,
    clear_bench_logs,
    free_port,
    fresh_database,
    fresh_redis,
    percentile,
    production_logging,
    wait_for_port,
)
from bench.cpu_meter import CpuMeter, pids_named, process_tree
from bench.machine import describe
from channels.chatflow.player import build_inbound_payload, new_message_id

TENANT = "demo_salon"
SECRET = "bench-secret"


def app_factory() -> object:
    """uvicorn ``--factory`` entry point of each API process."""
    from api.app import create_app
    from workers.heap import freeze_startup_heap
    from workers.service import build_runtime, load_packs

    production_logging("api")
    packs = [p for p in load_packs(REPO / "packs") if p.tenant_id == TENANT]
    rt = build_runtime(
        bench_settings(),
        packs=packs,
        migrate=False,
        overrides={TENANT: {"webhook_secret": SECRET, "chatflow_token": "bench"}},
    )
    app = create_app(rt)
    freeze_startup_heap()  # as `truffles serve` does
    return app


def _request(port: int, n: int, customers: int, seed: int) -> bytes:
    phone = f"7701{(seed * 7919 + n) % customers:07d}"
    payload = build_inbound_payload(
        TENANT, "Сколько стоит маникюр?", phone=phone, message_id=new_message_id()
    )
    body = json.dumps(payload).encode()
    head = (
        f"POST /webhooks/chatflow/{TENANT} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Webhook-Secret: {SECRET}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _requests(port: int, count: int, customers: int, seed: int) -> list[bytes]:
    """Every request of one load generator, built before its clock starts."""
    return [_request(port, n, customers, seed) for n in range(count)]


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
    """Send one request on a keep-alive connection and read its response; anything but 200 raises."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"{head.splitlines()[0]!r}: {body[:200]!r}")


async def _raw_client(url: str, requests: list[bytes], concurrency: int, deadline: float) -> list[float]:
    """A minimal keep-alive HTTP/1.1 client, so the load generator does not eat the server's CPU."""
    port = int(url.split(":")[2].split("/")[0])
    latencies: list[float] = []
    pending = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in pending:
                if time.time() > deadline:
                    return
                started = time.perf_counter()
                await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies


async def _client(
    url: str, count: int, concurrency: int, customers: int, deadline: float, seed: int
) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as http:

        async def worker() -> None:
            while time.time() < deadline:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                phone = f"7701{(seed * 7919 + n) % customers:07d}"
                body = build_inbound_payload(
                    TENANT, "Сколько стоит маникюр?", phone=phone, message_id=new_message_id()
                )
                started = time.perf_counter()
                response = await http.post(url, json=body, headers={"X-Webhook-Secret": SECRET})
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def _paced_client(
    url: str, requests: list[bytes], connections: int, deadline: float, rate: float
) -> list[float]:
    """Open loop: request ``n`` is due at ``start + n / rate`` whether or not earlier ones returned.

    Latency counts from the due time, so a stalled server is charged for the requests it kept
    waiting (no coordinated omission); a request waiting for a free connection is charged too.
    """
    port = int(url.split(":")[2].split("/")[0])
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    failures: list[BaseException] = []

    async def one(n: int, due: float) -> None:
        reader, writer = await idle.get()
        try:
            await _exchange(reader, writer, requests[n])
            latencies.append(time.perf_counter() - due)
        except BaseException as exc:  # reported after the run
            failures.append(exc)
        finally:
            idle.put_nowait((reader, writer))

    tasks = []
    start = time.perf_counter() + 0.05
    for n in range(len(requests)):
        due = start + n / rate
        if time.time() > deadline:
            break
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed; first: {failures[0]!r}")
    return latencies


def _client_process(args: tuple[str, int, int, int, float, int, float]) -> tuple[list[float], float, float]:
    """One load generator process: its latencies and its first/last instant (monotonic, system-wide)."""
    url, count, connections, customers, deadline, seed, rate = args
    # Built before the clock starts (their CPU still counts as "load"); uvloop, as the server
    # runs: the load generator shares the two cores with what it measures.
    requests = _requests(int(url.split(":")[2].split("/")[0]), count, customers, seed)
    # No cyclic GC while the clock runs: a full collection here paused sending for 50-100 ms, and
    # latency counts from each request's due time, so the server was charged for the generator's
    # pause (max latency 100-160 ms with it, 44-69 ms without, same code, same hour).
    gc.collect()
    gc.freeze()
    gc.disable()
    first = time.monotonic()
    client = (
        _paced_client(url, requests, connections, deadline, rate)
        if rate > 0
        else _raw_client(url, requests, connections, deadline)
    )
    latencies = uvloop.run(client)
    return latencies, first, time.monotonic()


def _ready(_: int) -> int:
    return os.getpid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2, help="load generator processes")
    parser.add_argument("--concurrency", type=int, default=8, help="connections per load generator")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="open loop: offer this many requests/s in total (0 = closed loop, as fast as answered)",
    )
    args = parser.parse_args()

    clear_bench_logs()
    db = fresh_database()
    db.dispose()
    fresh_redis()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bench_service_ack:app_factory",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(args.api_processes),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        wait_for_port(port, 60)
        time.sleep(1.0 + args.api_processes)  # every worker process compiled its pack
        url = f"http://127.0.0.1:{port}/webhooks/chatflow/{TENANT}"
        asyncio.run(_client(url, args.warmup, args.concurrency, args.customers, time.time() + 30, 99))
        per_client = args.requests // args.clients
        deadline = time.time() + args.max_seconds
        jobs = [
            (url, per_client, args.concurrency, args.customers, deadline, seed, args.rate / args.clients)
            for seed in range(args.clients)
        ]
        meter = CpuMeter(
            {
                "api": lambda: process_tree(server.pid),
                "postgres": lambda: pids_named("postgres"),
                "redis": lambda: pids_named("redis-server"),
                "load": lambda: sorted(set(process_tree(os.getpid())) - set(process_tree(server.pid))),
            }
        )
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            pool.map(_ready, range(args.clients))  # spawned and imported before the clock starts
            meter.start()
            results = pool.map(_client_process, jobs)
            spent = meter.stop()  # while the load generator processes still exist
    finally:
        server.terminate()
        server.wait(10)
    latencies = [x for chunk, _, _ in results for x in chunk]
    elapsed = max(last for _, _, last in results) - min(first for _, first, _ in results)
    # Each generator's own rate, summed: the spawned generators start a little apart, and
    # dividing by the union of their spans would charge that gap to the server.
    throughput = sum(len(chunk) / (last - first) for chunk, first, last in results)
    ms = [x * 1000 for x in latencies]
    print(describe())
    mode = f"open loop at {args.rate:g} req/s offered" if args.rate > 0 else "closed loop"
    print(
        f"API processes {args.api_processes}; load ({mode}): {args.clients} × {args.concurrency} "
        f"connections; {len(latencies)} requests in {elapsed:.2f}s"
    )
    print(f"ACK throughput: {throughput:.0f} req/s (sum of each load generator's answered requests/s)")
    print(
        f"ACK latency ms: p50 {percentile(ms, 50):.1f}  p90 {percentile(ms, 90):.1f}  "
        f"p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}"
    )
    print(CpuMeter.per_item(spent, len(latencies)).replace("per message", "per request"))


if __name__ == "__main__":
    main()
