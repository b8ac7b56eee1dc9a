"""Shared builders for the storage contract tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from storage import Channel, InboundDraft, InboundOutcome, OutboxDraft, OutboxOrigin, TenantStore

T = TypeVar("T")
JID = "77011234567@s.whatsapp.net"


def receive(store: TenantStore, provider_id: str, *, jid: str = JID, text: str = "hello") -> InboundOutcome:
    return store.messages.record_inbound(InboundDraft(provider_message_id=provider_id, jid=jid, text=text))


def reply(
    key: str, conversation_id: uuid.UUID | None, *, origin: OutboxOrigin = OutboxOrigin.BOT
) -> OutboxDraft:
    return OutboxDraft(
        idempotency_key=key,
        channel=Channel.CHATFLOW,
        payload={"text": f"reply {key}"},
        conversation_id=conversation_id,
        origin=origin,
    )


def run_parallel(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run ``fn(i)`` for i in range(n) on n threads at once; re-raises the first exception."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))
