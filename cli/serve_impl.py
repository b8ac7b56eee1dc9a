"""What ``truffles serve``, ``truffles worker`` and ``truffles demo-conversation`` run.

Imported only when one of those commands runs (the web stack takes about two seconds to import),
so ``truffles eval`` and the other analyst commands start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import msgspec
import uvicorn

from api.app import create_app
from channels.chatflow.emulator import ChatFlowEmulator, create_chatflow_emulator_app
from channels.chatflow.player import CustomerPlayer
from channels.serving import serve_in_thread
from config.compile.compiled import CompiledPack
from config.settings import ServiceSettings, SettingsError, load_settings
from storage.errors import InvalidValue
from storage.log_format import configure_logging
from workers.heap import freeze_startup_heap
from workers.heartbeat import HeartbeatWatch
from workers.runtime import Runtime
from workers.service import WorkerPool, build_runtime, load_packs
from workers.telemetry import serve_metrics

__all__ = ["DEMO_MESSAGES", "demo", "serve", "worker"]

DEMO_MESSAGES = (
    "Сколько стоит маникюр, сколько длится, где находитесь и можно записаться?",
    "по адресу",
    "по записи",
)
EMULATOR_TOKEN = "emulator-token"
REPLY_WAIT_SECONDS = 15.0


def _logging() -> bool:
    """``$TRUFFLES_LOG_FORMAT`` (text by default, json in production), phones masked; False if invalid."""
    try:
        configure_logging()
    except InvalidValue as exc:
        print(f"truffles: {exc}")
        return False
    return True


def _settings(**overrides: Any) -> ServiceSettings | None:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        print(f"truffles: {exc}")
        return None


def _local_overrides(packs: list[CompiledPack], emulated: bool) -> dict[str, dict[str, object]]:
    """Embedded demo: a generated webhook secret where none is set; the emulator's token."""
    overrides: dict[str, dict[str, object]] = {}
    for pack in packs:
        chatflow = pack.source.tenant.channels.chatflow
        extra: dict[str, object] = {}
        if not os.environ.get(chatflow.webhook_secret_env or "-"):
            extra["webhook_secret"] = secrets.token_urlsafe(16)
        if emulated:
            extra["chatflow_token"] = EMULATOR_TOKEN
        overrides[pack.tenant_id] = extra
    return overrides


@contextmanager
def _embedded(
    settings: ServiceSettings, migrate: bool
) -> Iterator[tuple[Runtime, ChatFlowEmulator | None, dict[str, dict[str, object]]]]:
    """Runtime + workers (+ the emulator when no ChatFlow URL is set) for the one-process mode."""
    with ExitStack() as stack:
        packs = load_packs(settings.packs_dir)
        emulator: ChatFlowEmulator | None = None
        base_url = settings.chatflow_base_url or None
        if base_url is None and settings.broker == "embedded":
            emulator = create_chatflow_emulator_app()
            base_url = stack.enter_context(serve_in_thread(emulator)) + "/api/v1"
            print(
                f"ChatFlow emulator: {base_url[: -len('/api/v1')]}/_emulator/outbox shows what was delivered"
            )
        overrides = _local_overrides(packs, emulator is not None) if settings.broker == "embedded" else {}
        rt = build_runtime(
            settings, packs=packs, migrate=migrate, chatflow_base_url=base_url, overrides=overrides
        )
        stack.callback(rt.db.dispose)
        if settings.broker == "embedded":
            pool = WorkerPool(rt)
            pool.start()
            stack.callback(pool.stop)
        yield rt, emulator, overrides


def serve(args: argparse.Namespace) -> int:
    if not _logging():
        return 2
    settings = _settings(host=args.host, port=args.port)
    if settings is None:
        return 2
    environ = dict(os.environ)
    if not environ.get(settings.admin_token_env) and settings.broker == "embedded":
        environ[settings.admin_token_env] = secrets.token_urlsafe(24)
        print(
            f"admin token (generated; set {settings.admin_token_env} to choose one): "
            f"{environ[settings.admin_token_env]}"
        )
    base_url = settings.public_base_url
    if not os.environ.get("TRUFFLES_PUBLIC_BASE_URL"):
        base_url = f"http://{settings.host}:{settings.port}"
        settings = msgspec.structs.replace(settings, public_base_url=base_url)  # signed media URLs
    with _embedded(settings, not args.no_migrate) as (rt, _emulator, overrides):
        for tenant in rt.tenants.all():
            secret = overrides.get(tenant.id, {}).get("webhook_secret")
            shown = f" (generated local secret: {secret})" if secret else ""
            print(f"tenant {tenant.id}: POST {base_url}/webhooks/chatflow/{tenant.id}{shown}")
        print(f"OpenAPI: {base_url}/schema")
        watch = _heartbeat_watch(rt)
        app = create_app(rt, environ=environ)
        freeze_startup_heap()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            log_config=None,  # uvicorn's lines go through our handler (format, masking)
            access_log=False,
        )
        if watch is not None:
            watch.stop()
    return 0


def _heartbeat_watch(rt: Runtime) -> HeartbeatWatch | None:
    """The API process watches the workers' heartbeats and tells the ops chat when they fall silent."""
    if rt.heartbeats is None:
        return None
    notify = None
    desk = rt.telegram
    if desk is not None and desk.ops is not None:
        ops = desk.ops

        def notify(text: str) -> None:
            desk.gateway.run(ops.token, lambda client: client.send_message(ops.chat_id, text))

    watch = HeartbeatWatch(rt.heartbeats, rt.alerts, notify=notify)
    watch.start()
    return watch


def worker(args: argparse.Namespace) -> int:
    if not _logging():
        return 2
    settings = _settings(worker_threads=args.threads)
    if settings is None:
        return 2
    if settings.broker != "redis":
        print(
            "truffles: `truffles worker` runs against Redis: set TRUFFLES_BROKER=redis and "
            "TRUFFLES_REDIS_URL "
            "(the embedded mode runs its workers inside `truffles serve`)"
        )
        return 2
    rt = build_runtime(settings, migrate=not args.no_migrate)
    freeze_startup_heap()
    pool = WorkerPool(rt)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pool.start()
    metrics = None
    if args.metrics_port:
        token = os.environ.get(settings.admin_token_env, "")
        if not token:
            print(f"truffles: --metrics-port needs {settings.admin_token_env} (the X-Admin-Token to require)")
            pool.stop()
            return 2
        metrics = serve_metrics(rt.telemetry, settings.host, args.metrics_port, token)
    stop.wait()
    if metrics is not None:
        metrics.shutdown()
    pool.stop()
    rt.db.dispose()
    return 0


def demo(args: argparse.Namespace) -> int:
    if not _logging():
        return 2
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="truffles-demo-") as tmp:
        settings = _settings(
            database_url=f"sqlite:///{tmp}/demo.db", broker="embedded", redis_url="", chatflow_base_url=""
        )
        if settings is None:
            return 2
        with _embedded(settings, True) as (rt, emulator, overrides):
            tenant = rt.tenants.find(args.pack)
            if tenant is None or emulator is None:
                print(
                    f"truffles: no pack {args.pack!r} under {settings.packs_dir}; known: {rt.tenants.ids()}"
                )
                return 1
            secret = str(overrides.get(tenant.id, {}).get("webhook_secret") or tenant.webhook_secret or "")
            app: Any = create_app(rt)  # an ASGI app; Litestar's precise scope types differ from ours
            with serve_in_thread(app) as api_url:
                print(f"service on {api_url}; customer +{args.phone[:4]}… writes to {tenant.display_name}\n")
                asyncio.run(
                    _converse(
                        f"{api_url}/webhooks/chatflow/{tenant.id}", secret, tenant.id, args.phone, emulator
                    )
                )
    return 0


async def _converse(url: str, secret: str, tenant_id: str, phone: str, emulator: ChatFlowEmulator) -> None:
    async with CustomerPlayer(url, secret, tenant=tenant_id, phone=phone) as customer:
        for text in DEMO_MESSAGES:
            before = len(emulator.deliveries)
            started = time.monotonic()
            sent = await customer.say(text)
            print(f"клиент> {text}\n   webhook: HTTP {sent.status} {sent.body}")
            while len(emulator.deliveries) == before and time.monotonic() - started < REPLY_WAIT_SECONDS:
                await asyncio.sleep(0.02)
            took = time.monotonic() - started
            for delivery in emulator.deliveries[before:]:
                print(
                    f"   delivered by the emulator (msg_id {delivery.msg_id}, {took:.2f}s after the webhook):"
                )
                print("бот> " + (delivery.text or "").replace("\n", "\n     ") + "\n")
            if len(emulator.deliveries) == before:
                print(f"   (no reply within {REPLY_WAIT_SECONDS:g}s)\n")
