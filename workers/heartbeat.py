"""Workers report that they are alive; the API process alerts when none has for too long.

Each worker process beats from its sweeper loop (every sweep interval, whether or not it holds the
sweep lock). The watch runs in the API process — the one part still up when every worker is gone —
and raises a ``worker_silent`` alert (the ops chat deduplicates repeats) when no worker has beaten for
``silent_after`` seconds, or a worker that did has gone quiet.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from workers.alerts import Alert, AlertSink

__all__ = [
    "SERVICE_ALERT_TENANT",
    "SILENT_AFTER_SECONDS",
    "HeartbeatWatch",
    "Heartbeats",
    "MemoryHeartbeats",
    "RedisHeartbeats",
    "silent_workers",
    "worker_id",
]

log = logging.getLogger("truffles.heartbeat")

SILENT_AFTER_SECONDS = 120.0  # a worker sweeps every few seconds; two minutes of silence is an outage
FORGET_AFTER_SECONDS = 24 * 3600.0  # a worker id not seen for a day belongs to a finished process
SERVICE_ALERT_TENANT = "_service"  # alerts about the service itself, not one tenant
REDIS_KEY = "truffles:workers:heartbeat"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeats(Protocol):
    def beat(self, worker: str, at: float) -> None: ...

    def seen(self) -> dict[str, float]: ...

    def forget(self, worker: str) -> None: ...


class MemoryHeartbeats:
    """One process (the embedded mode)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def beat(self, worker: str, at: float) -> None:
        with self._lock:
            self._seen[worker] = at

    def seen(self) -> dict[str, float]:
        with self._lock:
            return dict(self._seen)

    def forget(self, worker: str) -> None:
        with self._lock:
            self._seen.pop(worker, None)


class RedisHeartbeats:
    """Every API and worker process on one Redis (production)."""

    def __init__(self, client: redis.Redis, key: str = REDIS_KEY) -> None:
        self._client = client
        self._key = key

    def beat(self, worker: str, at: float) -> None:
        self._client.hset(self._key, worker, repr(at))

    def seen(self) -> dict[str, float]:
        raw = self._client.hgetall(self._key)
        return {(k.decode() if isinstance(k, bytes) else str(k)): float(v) for k, v in raw.items()}

    def forget(self, worker: str) -> None:
        self._client.hdel(self._key, worker)


def silent_workers(
    beats: Heartbeats, now: float, *, started: float, silent_after: float = SILENT_AFTER_SECONDS
) -> list[str]:
    """What is wrong, one line each: no worker at all since ``started``, or workers gone quiet."""
    seen = beats.seen()
    problems = []
    for worker, at in sorted(seen.items()):
        age = now - at
        if age > FORGET_AFTER_SECONDS:
            beats.forget(worker)
        elif age > silent_after:
            problems.append(f"worker {worker} not heard from for {age:.0f} s")
    alive = [w for w, at in seen.items() if now - at <= silent_after]
    if not alive and now - started > silent_after:
        problems.insert(
            0, f"no worker has reported for {silent_after:.0f} s: replies are not being processed"
        )
    return problems


NOTIFY_EVERY_SECONDS = 600.0  # the ops chat hears about a silent worker at most this often


class HeartbeatWatch:
    """Checks the heartbeats every ``interval`` seconds on a daemon thread and raises alerts.

    ``notify`` sends a text straight to the ops chat: the usual alert path goes through the outbox,
    which the silent workers would never send.
    """

    def __init__(
        self,
        beats: Heartbeats,
        alerts: AlertSink,
        *,
        interval: float = 30.0,
        silent_after: float = SILENT_AFTER_SECONDS,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._beats = beats
        self._alerts = alerts
        self._interval = interval
        self._silent_after = silent_after
        self._notify = notify
        self._notified_at = float("-inf")
        self._started = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="truffles-heartbeat-watch", daemon=True)

    def check(self, now: float | None = None) -> list[str]:
        at = time.time() if now is None else now
        problems = silent_workers(self._beats, at, started=self._started, silent_after=self._silent_after)
        for problem in problems:
            self._alerts.raise_alert(Alert(SERVICE_ALERT_TENANT, "worker_silent", problem))
        if problems and self._notify is not None and at - self._notified_at >= NOTIFY_EVERY_SECONDS:
            self._notified_at = at
            try:
                self._notify("🚨 service · worker_silent\n" + "\n".join(problems))
            except Exception:  # the watch must outlive a Telegram outage
                log.exception("could not tell the ops chat about silent workers")
        return problems

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.check()
            except Exception:  # never let the watch die
                log.exception("heartbeat check failed")
