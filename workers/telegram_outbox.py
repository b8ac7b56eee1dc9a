"""Deliver ``telegram`` outbox rows: into a customer's forum topic, or into the ops chat.

Payloads (built by :func:`topic_payload` / :func:`ops_payload`):

- ``{"kind": "topic", "customer_id", "text", "buttons"?, "handover_id"?}`` — the customer's topic
  is created on first use (``createForumTopic``) and recreated if a manager deleted it;
- ``{"kind": "ops", "text"}`` — the configured ops chat.

Errors are raised as :class:`~channels.errors.TelegramError` so :mod:`workers.send` retries 429/5xx
with the same backoff as ChatFlow rows.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from channels.errors import TopicNotFound
from channels.telegram import InlineKeyboardButton, InlineKeyboardMarkup, TelegramClient
from storage import OutboxRecord
from workers.runtime import Runtime
from workers.telegram_desk import TenantTelegram
from workers.tenants import TenantRuntime

__all__ = ["Buttons", "deliver_telegram", "keyboard", "ops_payload", "topic_payload"]

log = logging.getLogger("truffles.telegram.outbox")

Buttons = list[list[tuple[str, str]]]
"""Rows of (label, callback_data)."""
TOPIC_NAME_MAX = 128


def topic_payload(
    customer_id: uuid.UUID, text: str, *, buttons: Buttons | None = None, handover_id: uuid.UUID | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": "topic", "customer_id": str(customer_id), "text": text}
    if buttons:
        payload["buttons"] = [[list(b) for b in row] for row in buttons]
    if handover_id is not None:
        payload["handover_id"] = str(handover_id)
    return payload


def ops_payload(text: str) -> dict[str, Any]:
    return {"kind": "ops", "text": text}


def keyboard(buttons: Buttons | list[list[list[str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [[InlineKeyboardButton(text=str(b[0]), callback_data=str(b[1])) for b in row] for row in buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def deliver_telegram(rt: Runtime, tenant: TenantRuntime, row: OutboxRecord) -> str:
    """Send one telegram row; returns ``"<chat_id>:<message_id>"``; raises ``TelegramError``."""
    desk = rt.telegram
    kind = row.payload.get("kind")
    text = str(row.payload.get("text", ""))
    if desk is None:
        raise ValueError("this process has no Telegram desk configured")
    if kind == "ops":
        if desk.ops is None:
            raise ValueError("no ops chat configured (TRUFFLES_OPS_TELEGRAM_TOKEN / TRUFFLES_OPS_CHAT_ID)")
        ops = desk.ops
        sent = desk.gateway.run(ops.token, lambda c: c.send_message(ops.chat_id, text))
        return f"{ops.chat_id}:{sent.message_id}"
    if kind != "topic":
        raise ValueError(f"telegram payload kind {kind!r} is not 'topic' or 'ops'")
    tg = desk.for_tenant(tenant.id)
    if tg is None:
        raise ValueError(f"tenant {tenant.id!r} has no Telegram bot/manager group configured")
    customer_id = uuid.UUID(str(row.payload["customer_id"]))
    markup = keyboard(row.payload.get("buttons"))
    thread = _thread(rt, tenant, tg, customer_id)
    try:
        message_id = _send(rt, tg, thread, text, markup)
    except TopicNotFound:
        log.warning("tenant=%s: topic %s was deleted; recreating it", tenant.id, thread)
        new_thread = _create_topic(rt, tenant, tg, customer_id)
        thread = tenant.store.topics.rebind(customer_id, tg.chat_id, thread, new_thread)
        message_id = _send(rt, tg, thread, text, markup)
    handover_id = row.payload.get("handover_id")
    if handover_id:
        tenant.store.handovers.attach_thread(uuid.UUID(str(handover_id)), thread)
        log.info(
            "tenant=%s hand-over card %s posted to Telegram topic %s (message %s)",
            tenant.id,
            handover_id,
            thread,
            message_id,
            extra={"event": "handover.card_posted"},
        )
    return f"{tg.chat_id}:{message_id}"


def _send(
    rt: Runtime, tg: TenantTelegram, thread: int, text: str, markup: InlineKeyboardMarkup | None
) -> int:
    assert rt.telegram is not None

    async def call(client: TelegramClient) -> int:
        sent = await client.send_message(tg.chat_id, text, message_thread_id=thread, reply_markup=markup)
        return sent.message_id

    return rt.telegram.gateway.run(tg.token, call)


def _thread(rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, customer_id: uuid.UUID) -> int:
    found = tenant.store.topics.thread_for(customer_id, tg.chat_id)
    if found is not None:
        return found
    return tenant.store.topics.bind(customer_id, tg.chat_id, _create_topic(rt, tenant, tg, customer_id))


def _create_topic(rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, customer_id: uuid.UUID) -> int:
    assert rt.telegram is not None
    customer = tenant.store.conversations.get_customer(customer_id)
    name = f"{customer.push_name or 'Клиент'} · {customer.masked_phone}"[:TOPIC_NAME_MAX]
    topic = rt.telegram.gateway.run(tg.token, lambda c: c.create_forum_topic(tg.chat_id, name))
    return topic.message_thread_id
