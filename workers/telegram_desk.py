"""The managers' Telegram desk of a service process: per-tenant bot settings and a sync gateway.

Each tenant has its own bot (token from the environment variable its ``tenant.yaml`` names), its
webhook secret and its manager forum group. The gateway runs the async :class:`TelegramClient` from
worker threads (one event loop and one client per token per thread), like the ChatFlow sender.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx

from channels.telegram import DEFAULT_TELEGRAM_BASE_URL, TelegramClient
from config.compile.compiled import CompiledPack
from workers.thread_clients import ThreadClients

__all__ = ["OpsTarget", "TelegramDesk", "TelegramGateway", "TenantTelegram", "build_desk", "tenant_telegram"]

log = logging.getLogger("truffles.telegram")

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantTelegram:
    """One tenant's bot and manager group, secrets resolved."""

    tenant_id: str
    token: str
    secret: str | None
    chat_id: int
    owner_username: str
    reminder_minutes: tuple[int, ...]
    expire_minutes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OpsTarget:
    """Where ops alerts go: a chat and the bot that writes there."""

    token: str
    chat_id: int


def tenant_telegram(
    pack: CompiledPack, environ: Mapping[str, str], overrides: Mapping[str, object] | None = None
) -> TenantTelegram | None:
    """The tenant's desk settings, or None when it has no bot token or no manager group."""
    settings = pack.source.tenant
    tg = settings.channels.telegram
    extra = overrides or {}
    token = _str(extra.get("telegram_token")) or (environ.get(tg.bot_token_env) if tg.bot_token_env else None)
    secret = _str(extra.get("telegram_secret")) or (
        environ.get(tg.webhook_secret_env) if tg.webhook_secret_env else None
    )
    chat = extra.get("telegram_chat_id")
    chat_id = chat if isinstance(chat, int) else tg.manager_chat_id
    if not token or not chat_id:
        return None
    return TenantTelegram(
        tenant_id=settings.id,
        token=token,
        secret=secret or None,
        chat_id=chat_id,
        owner_username=tg.owner_username,
        reminder_minutes=tuple(settings.handover.reminder_minutes),
        expire_minutes=settings.handover.expire_minutes,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class TelegramGateway:
    """Run Bot API calls synchronously from any thread."""

    def __init__(
        self,
        base_url: str = DEFAULT_TELEGRAM_BASE_URL,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self._clients: ThreadClients[TelegramClient] = ThreadClients(
            lambda token: TelegramClient(token, base_url=base_url, timeout=timeout, transport=transport)
        )

    def run(self, token: str, call: Callable[[TelegramClient], Awaitable[T]]) -> T:
        """``call(client)`` with this thread's client for ``token``; raises ``TelegramError``."""
        return self._clients.run(token, call)

    def close(self) -> None:
        """Close every client and loop; only call when no thread uses the gateway any more."""
        self._clients.close()


class TelegramDesk:
    """The tenants that have a desk, the gateway to reach Telegram, and the ops chat (if any)."""

    def __init__(
        self,
        tenants: Mapping[str, TenantTelegram],
        gateway: TelegramGateway,
        *,
        ops: OpsTarget | None = None,
    ) -> None:
        self._tenants = dict(tenants)
        self.gateway = gateway
        self.ops = ops

    def for_tenant(self, tenant_id: str) -> TenantTelegram | None:
        return self._tenants.get(tenant_id)

    def tenant_ids(self) -> list[str]:
        return sorted(self._tenants)


OPS_TOKEN_ENV = "TRUFFLES_OPS_TELEGRAM_TOKEN"
OPS_CHAT_ENV = "TRUFFLES_OPS_CHAT_ID"


def build_desk(
    packs: Iterable[CompiledPack],
    *,
    environ: Mapping[str, str],
    overrides: Mapping[str, Mapping[str, object]] | None = None,
    base_url: str = "",
    transport: httpx.AsyncBaseTransport | None = None,
) -> TelegramDesk | None:
    """The desk of every pack with a bot token and a manager group; None when there is none.

    The ops chat is ``$TRUFFLES_OPS_CHAT_ID`` written by the bot ``$TRUFFLES_OPS_TELEGRAM_TOKEN``
    (or an ``"_ops"`` entry of ``overrides`` with ``telegram_token``/``telegram_chat_id``).
    """
    tenants = {}
    for pack in packs:
        found = tenant_telegram(pack, environ, (overrides or {}).get(pack.tenant_id))
        if found is not None:
            tenants[found.tenant_id] = found
    ops_extra = (overrides or {}).get("_ops", {})
    ops_token = _str(ops_extra.get("telegram_token")) or environ.get(OPS_TOKEN_ENV)
    ops_chat = ops_extra.get("telegram_chat_id") or environ.get(OPS_CHAT_ENV)
    ops = OpsTarget(token=ops_token, chat_id=int(str(ops_chat))) if ops_token and ops_chat else None
    if not tenants and ops is None:
        return None
    gateway = TelegramGateway(base_url or DEFAULT_TELEGRAM_BASE_URL, transport=transport)
    return TelegramDesk(tenants, gateway, ops=ops)
