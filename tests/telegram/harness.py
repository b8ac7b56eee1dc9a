"""A service with its Telegram desk: ChatFlow and Telegram emulators, the API on a real socket.

The bot's webhook is registered through ``truffles telegram setup``'s own function, so a manager's
action in the emulator (``ManagerPlayer``) reaches ``POST /webhooks/telegram/{tenant}`` over HTTP.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from api.app import create_app
from channels.chatflow.emulator import ChatFlowEmulator, create_chatflow_emulator_app
from channels.chatflow.player import build_inbound_payload
from channels.serving import serve_in_thread
from channels.telegram.emulator import TelegramEmulator, create_telegram_emulator_app
from channels.telegram.emulator_state import StoredMessage
from channels.telegram.player import ManagerPlayer
from channels.telegram.types import User
from cli.telegram_commands import setup_webhook
from config.compile.compiled import CompiledPack
from config.settings import ServiceSettings
from storage import Database
from tests.e2e.harness import ADMIN_TOKEN, PHONE, SECRET, TOKEN, demo_pack, service_settings, wait_until
from workers.runtime import Runtime, utcnow
from workers.service import WorkerPool, build_runtime

__all__ = ["CHAT", "TG_SECRET", "TG_TOKEN", "Desk", "OffsetClock", "running_desk"]

TG_TOKEN = "100001:demo-salon-bot"
TG_SECRET = "tg-secret-demo-salon"
CHAT = -1001000000001
MANAGER = User(id=1001, is_bot=False, first_name="Dana")
"""demo_salon's manager group (tenant.yaml)."""


@dataclass
class OffsetClock:
    """Real time plus an offset a test moves forward (coalescing windows keep working)."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, minutes: float) -> None:
        self.offset += timedelta(minutes=minutes)


@dataclass
class Desk:
    rt: Runtime
    chatflow: ChatFlowEmulator
    telegram: TelegramEmulator
    manager: ManagerPlayer
    client: httpx.AsyncClient
    telegram_url: str

    async def say(self, text: str, *, phone: str = PHONE, tenant: str = "demo_salon") -> None:
        payload = build_inbound_payload(tenant, text, phone=phone)
        response = await self.client.post(
            f"/webhooks/chatflow/{tenant}", json=payload, headers={"X-Webhook-Secret": SECRET}
        )
        assert response.status_code == 200, response.text

    def texts(self) -> list[str]:
        """What the customer received on WhatsApp, in order."""
        return [d.text or "" for d in self.chatflow.deliveries]

    async def wait_texts(self, count: int) -> list[str]:
        await wait_until(lambda: len(self.chatflow.deliveries) >= count, what=f"{count} WhatsApp deliveries")
        return self.texts()

    def topic_messages(self, chat_id: int = CHAT) -> list[StoredMessage]:
        chat = self.telegram.world.chat(chat_id)
        return [m for m in chat.messages.values() if m.thread_id is not None and m.service is None]

    async def wait_topic(self, predicate: Any, what: str) -> StoredMessage:
        def found() -> StoredMessage | None:
            return next((m for m in self.topic_messages() if predicate(m)), None)

        await wait_until(lambda: found() is not None, what=what)
        message = found()
        assert message is not None
        return message

    def store(self, tenant: str = "demo_salon") -> Any:
        return self.rt.tenants.get(tenant).store


@asynccontextmanager
async def running_desk(
    db: Database,
    *,
    clock: OffsetClock | None = None,
    settings: ServiceSettings | None = None,
    packs: list[CompiledPack] | None = None,
    desks: dict[str, dict[str, object]] | None = None,
    workers: bool = True,
) -> AsyncIterator[Desk]:
    chosen_packs = packs or [demo_pack()]
    tg_desks = desks or {"demo_salon": {"telegram_token": TG_TOKEN, "telegram_secret": TG_SECRET}}
    cf = create_chatflow_emulator_app(tokens={TOKEN})
    tg = create_telegram_emulator_app()
    tg.world.add_bot(TG_TOKEN, "Truffles", "truffles_salon_bot")
    tg.world.add_chat(CHAT, "Салон Мира — менеджеры")
    with serve_in_thread(cf) as cf_url, serve_in_thread(tg) as tg_url:
        overrides = {
            p.tenant_id: {"webhook_secret": SECRET, "chatflow_token": TOKEN, **tg_desks.get(p.tenant_id, {})}
            for p in chosen_packs
        } | {key: value for key, value in tg_desks.items() if key.startswith("_")}
        rt = build_runtime(
            settings or service_settings(), packs=chosen_packs, db=db, migrate=False,
            chatflow_base_url=f"{cf_url}/api/v1", telegram_base_url=tg_url, overrides=overrides,
            broker_namespace=f"truffles-test-{uuid.uuid4().hex[:8]}", environ={},
            **({"clock": clock} if clock is not None else {}),
        )  # fmt: skip
        pool = WorkerPool(rt, sweep=False) if workers else None
        if pool is not None:
            pool.start()
        app = create_app(rt, environ={rt.settings.admin_token_env: ADMIN_TOKEN})
        try:
            with serve_in_thread(app) as app_url:
                assert rt.telegram is not None
                for tenant_id in (t for t in tg_desks if not t.startswith("_")):
                    found = rt.telegram.for_tenant(tenant_id)
                    assert found is not None
                    await setup_webhook(found, app_url, api_url=tg_url)
                async with (
                    httpx.AsyncClient(base_url=app_url, timeout=30) as client,
                    ManagerPlayer(tg_url, token=TG_TOKEN, chat_id=CHAT, manager=MANAGER) as manager,
                ):
                    yield Desk(rt, cf, tg, manager, client, tg_url)
        finally:
            if pool is not None:
                await asyncio.to_thread(pool.stop, timeout_ms=3000)
            else:
                closer = getattr(rt.sender, "close", None)
                if callable(closer):
                    await asyncio.to_thread(closer)
                if rt.telegram is not None:
                    await asyncio.to_thread(rt.telegram.gateway.close)
