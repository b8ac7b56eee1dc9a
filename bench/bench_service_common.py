"""Shared setup of the service benchmarks: a clean PostgreSQL database, Redis DB 6, settings, percentiles.

The benchmarks need the real PostgreSQL and Redis (``scripts/ensure-services.sh`` starts them):
``postgresql+psycopg://postgres@127.0.0.1:5432/truffles_bench`` and ``redis://127.0.0.1:6379/6``
(override with ``TRUFFLES_BENCH_DATABASE_URL`` / ``TRUFFLES_BENCH_REDIS_URL``). Both are wiped first.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from config.settings import RateLimit, ServiceSettings, load_settings  # noqa: E402
from storage import Database, open_database, upgrade_to_head  # noqa: E402
from storage.log_format import configure_logging  # noqa: E402

PG_URL = os.environ.get(
    "TRUFFLES_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/truffles_bench"
)
REDIS_URL = os.environ.get("TRUFFLES_BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
BENCH_LOGS = REPO / "var" / "bench"
UNLIMITED = RateLimit(burst=1e9, per_second=1e9)


def fresh_database() -> Database:
    """Drop and re-create ``truffles_bench``, migrate to head.

    A new database, not a dropped schema: with autovacuum off (as on this machine), every
    ``DROP SCHEMA … CASCADE`` + migration leaves dead catalog rows behind (11,808 dead against 288
    live in ``pg_attribute`` after a day of runs), which every new backend then reads past.
    """
    name = make_url(PG_URL).database or "truffles_bench"
    admin = (
        make_url(PG_URL)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = open_database(PG_URL)
    upgrade_to_head(db.engine)
    return db


def fresh_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


def bench_settings(**overrides: Any) -> ServiceSettings:
    base: dict[str, Any] = {
        "database_url": PG_URL,
        "redis_url": REDIS_URL,
        "broker": "redis",
        "rate_tenant_text": UNLIMITED,
        "rate_customer_text": UNLIMITED,
        "sweep_interval_seconds": 3600.0,
    }
    return load_settings({}, **{**base, **overrides})


def production_logging(role: str) -> Path:
    """Log as ``truffles serve``/``worker`` do in production (JSON lines, INFO, phones masked).

    The lines cost CPU on every message (one formatted, masked and written line per step), so a
    benchmark without them would flatter the service. They go to ``var/bench/<role>-<pid>.log``.
    """
    path = BENCH_LOGS / f"{role}-{os.getpid()}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    configure_logging("json", environ={}, stream=path.open("w", encoding="utf-8"))
    return path


def clear_bench_logs() -> None:
    """A benchmark run starts with an empty ``var/bench/`` (each run's processes write their own files)."""
    for old in BENCH_LOGS.glob("*.log"):
        old.unlink(missing_ok=True)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start_emulator_process(port: int) -> subprocess.Popen[bytes]:
    """The ChatFlow emulator in its own process (so it does not share our GIL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "channels.chatflow.emulator", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc
