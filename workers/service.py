"""Assemble a service process: database, tenants, broker, sender, ports; and run its workers.

``truffles serve`` (embedded: API + workers in one process), ``truffles worker`` (production) and the
tests all build their :class:`~workers.runtime.Runtime` here, so they run the same code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import dramatiq
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.compile.compiled import CompiledPack
from config.settings import ServiceSettings
from storage import Database, open_database, upgrade_to_head
from workers.actors import declare_actors
from workers.alerts import AlertSink, LogAlerts
from workers.correlation import install_correlation
from workers.handover_desk import TelegramForward
from workers.heartbeat import MemoryHeartbeats, RedisHeartbeats
from workers.media_links import build_media_links
from workers.pack_reload import PackWatcher
from workers.queue import BROKER_NAMESPACE, MEDIA_QUEUE, OUTBOX_QUEUE, TURNS_QUEUE, TaskQueue, make_broker
from workers.runtime import Runtime, utcnow
from workers.sender import ChatFlowSender, TextSender
from workers.sweeper import Sweeper
from workers.telegram_alerts import TelegramAlerts
from workers.telegram_desk import build_desk
from workers.telemetry import Telemetry
from workers.tenants import TenantRegistry, compile_pack_dir, discover_packs

__all__ = [
    "REAL_CHATFLOW_URL",
    "TenantOverrides",
    "WorkerPool",
    "build_runtime",
    "load_packs",
    "redis_client",
]

log = logging.getLogger("truffles.service")

MEDIA_WORKER_THREADS = 2
"""Threads per worker process that send media rows (the text threads never wait behind them)."""

REAL_CHATFLOW_URL = "https://app.chatflow.kz/api/v1"

TenantOverrides = Mapping[str, Mapping[str, object]]
"""tenant id -> ``webhook_secret`` / ``chatflow_token`` / ``insecure_demo`` for the local demo."""


def redis_client(url: str, *, timeout: float = 2.0) -> redis.Redis:
    """A Redis client with short timeouts and one quick retry: a dead Redis degrades the edge, never hangs it.

    (redis-py's default retries with exponential backoff would hold every webhook for seconds.)
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),
    )


def load_packs(packs_dir: str | os.PathLike[str]) -> list[CompiledPack]:
    """Compile every pack under ``packs_dir`` (a pack with errors stops the start, naming it)."""
    return [compile_pack_dir(path) for path in discover_packs(packs_dir)]


def build_runtime(
    settings: ServiceSettings,
    *,
    packs: Sequence[CompiledPack] | None = None,
    db: Database | None = None,
    migrate: bool = True,
    chatflow_base_url: str | None = None,
    sender: TextSender | None = None,
    alerts: AlertSink | None = None,
    redis: redis.Redis | None = None,
    clock: Callable[[], datetime] = utcnow,
    environ: Mapping[str, str] | None = None,
    overrides: TenantOverrides | None = None,
    broker_namespace: str = BROKER_NAMESPACE,
    telegram_base_url: str | None = None,
) -> Runtime:
    """A ready :class:`Runtime` (no worker threads yet: see :class:`WorkerPool`)."""
    database = db or open_database(settings.database_url)
    if migrate:
        upgrade_to_head(database.engine)
    client = (
        redis if redis is not None else (redis_client(settings.redis_url) if settings.redis_url else None)
    )
    telemetry = Telemetry()
    registry = TenantRegistry(
        database.session_factory, environ=environ, clock=clock, coalesce_override=settings.coalesce_seconds
    )
    served = list(packs) if packs is not None else load_packs(settings.packs_dir)
    for pack in served:
        extra = dict((overrides or {}).get(pack.tenant_id, {}))
        registry.add(
            pack,
            webhook_secret=_opt_str(extra.get("webhook_secret")),
            chatflow_token=_opt_str(extra.get("chatflow_token")),
            insecure_demo=_opt_bool(extra.get("insecure_demo")),
        )
    base_url = chatflow_base_url or settings.chatflow_base_url or REAL_CHATFLOW_URL
    desk = build_desk(
        served,
        environ=os.environ if environ is None else environ,
        overrides=overrides,
        base_url=telegram_base_url or settings.telegram_base_url,
    )
    sink = alerts or LogAlerts(telemetry)
    ops_alerts = TelegramAlerts(sink) if desk is not None and desk.ops is not None else None
    broker = make_broker(settings.broker, client, namespace=broker_namespace)
    install_correlation(broker)  # tenant + correlation id travel with every message (log lines)
    rt = Runtime(
        settings=settings,
        db=database,
        tenants=registry,
        queue=TaskQueue(broker),
        sender=sender or ChatFlowSender(base_url, timeout=settings.send_timeout_seconds),
        alerts=ops_alerts or sink,
        telemetry=telemetry,
        redis=client,
        clock=clock,
        telegram=desk,
        media=build_media_links(settings, os.environ if environ is None else environ),
        heartbeats=RedisHeartbeats(client) if client is not None else MemoryHeartbeats(),
    )
    if desk is not None:
        rt.manager_forward = TelegramForward(rt)
    if ops_alerts is not None:
        ops_alerts.bind(rt)
    return rt


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


class WorkerPool:
    """The actors of ``rt`` running on dramatiq worker threads, plus the periodic sweeper and pack watcher.

    ``watch_packs`` (default: as ``sweep``) polls the pack folders every ``pack_reload_seconds`` (0 = off)
    and serves edited packs without a restart (``workers.pack_reload``).
    """

    def __init__(
        self, rt: Runtime, *, threads: int | None = None, sweep: bool = True, watch_packs: bool | None = None
    ) -> None:
        self.rt = rt
        self.actors = declare_actors(rt.queue.broker, rt)
        self._worker = dramatiq.Worker(
            rt.queue.broker,
            queues={TURNS_QUEUE, OUTBOX_QUEUE},
            worker_threads=threads or rt.settings.worker_threads,
            worker_timeout=rt.settings.worker_poll_ms,
        )
        # Media sends (seconds per ChatFlow call) on threads of their own: never in front of text.
        self._media_worker = dramatiq.Worker(
            rt.queue.broker,
            queues={MEDIA_QUEUE},
            worker_threads=MEDIA_WORKER_THREADS,
            worker_timeout=rt.settings.worker_poll_ms,
        )
        self._sweeper = Sweeper(rt, rt.settings.sweep_interval_seconds) if sweep else None
        watch = sweep if watch_packs is None else watch_packs
        interval = rt.settings.pack_reload_seconds
        self._watcher = PackWatcher(rt, interval) if watch and interval > 0 else None
        self._running = False

    def start(self) -> None:
        self._worker.start()
        self._media_worker.start()
        if self._sweeper is not None:
            self._sweeper.start()
        if self._watcher is not None:
            self._watcher.start()
        self._running = True
        log.info(
            "workers started: %d thread(s), broker %s", self._worker.worker_threads, self.rt.settings.broker
        )

    def stop(self, *, timeout_ms: int = 10_000) -> None:
        """Stop consuming, let in-flight messages finish (up to ``timeout_ms``), stop the sweeper."""
        if not self._running:
            return
        self._running = False
        if self._sweeper is not None:
            self._sweeper.stop()
        if self._watcher is not None:
            self._watcher.stop()
        self._worker.stop(timeout=timeout_ms)
        self._media_worker.stop(timeout=timeout_ms)
        closer = getattr(self.rt.sender, "close", None)
        if callable(closer):
            closer()
        if self.rt.telegram is not None:
            self.rt.telegram.gateway.close()
