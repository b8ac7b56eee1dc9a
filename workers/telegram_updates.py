"""What a manager does in the tenant's forum group: write in a customer's topic, press a button.

Called by the web edge with an :class:`~channels.telegram.Update` that already passed the tenant's
secret check. Everything is looked up through *this* tenant's store and only in *this* tenant's
manager group, so an update of another bot can never touch another tenant's conversations.
A manager's message reaches the customer through the outbox (idempotency key = Telegram's chat and
message id, so a re-delivered update is never sent twice).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from channels.telegram import Message, Update
from storage import Channel, HandoverStatus, OutboxDraft, OutboxOrigin
from workers.handover_desk import enqueue_topic, handover_buttons
from workers.runtime import Runtime
from workers.send_media import is_media_row
from workers.telegram_callbacks import handle_callback
from workers.telegram_desk import TenantTelegram
from workers.telegram_media import manager_media, prefetch
from workers.tenants import TenantRuntime

__all__ = ["MEDIA_UNAVAILABLE", "handle_update", "manager_name"]

log = logging.getLogger("truffles.telegram.updates")

MEDIA_UNAVAILABLE = (
    "⚠️ Вложение не отправлено клиенту: {reason}. Отправьте текстом или ссылкой; подпись клиент получил."
)


def manager_name(message_from: object) -> str:
    full = getattr(message_from, "full_name", None)
    username = getattr(message_from, "username", None)
    return str(full or username or "менеджер")


def handle_update(rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, update: Update) -> str:
    """Apply one update; returns what happened (``ignored``, ``forwarded``, ``callback:…``)."""
    if update.callback_query is not None:
        return handle_callback(rt, tenant, tg, update.callback_query)
    message = update.message
    if message is None or message.chat.id != tg.chat_id:
        return "ignored"
    if message.from_ is None or message.from_.is_bot or message.forum_topic_created is not None:
        return "ignored"
    if message.message_thread_id is None:
        return "ignored"
    return _manager_message(rt, tenant, tg, message)


def _manager_message(rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, message: Message) -> str:
    store = tenant.store
    assert message.message_thread_id is not None
    customer_id = store.topics.customer_for(tg.chat_id, message.message_thread_id)
    if customer_id is None:
        return "ignored"
    customer = store.conversations.get_customer(customer_id)
    conversation = store.conversations.find_by_jid(customer.jid)
    if conversation is None:
        return "ignored"
    who = manager_name(message.from_)
    opened = store.handovers.find_open(conversation.id)
    handover = opened or store.handovers.open(conversation.id, "manager_message")
    if handover.status == HandoverStatus.PENDING:  # the first manager message takes the hand-over
        handover = store.handovers.take(handover.id, who)
        log.info("tenant=%s handover %s taken by a manager message", tenant.id, handover.id)
    if opened is None:  # a manager started it: give them the buttons to hand back
        intro = f"✋ {who} ведёт разговор, бот молчит. Когда закончите — «Решено» или «Вернуть боту»."
        enqueue_topic(rt, tenant, conversation, f"handover-{handover.id}", intro,
                      buttons=handover_buttons(handover), handover_id=handover.id)  # fmt: skip
    text = message.text if message.text is not None else message.caption
    key = f"tg-{tg.chat_id}-{message.message_id}"
    media = manager_media(tg.chat_id, message)
    if media is not None:
        problem = _media_problem(rt, media)
        if problem is None:
            prefetch(rt, tenant, media)
            caption = text if media["type"] != "audio" else None
            payload = {"kind": "media", "jid": conversation.jid, "caption": caption or "", "media": media}
            _to_customer(rt, tenant, conversation.id, key, payload)
            if text and caption is None:  # a voice note's caption: WhatsApp audio has none
                _to_customer(rt, tenant, conversation.id, f"{key}-caption",
                             {"kind": "text", "jid": conversation.jid, "text": text})  # fmt: skip
            return "forwarded"
        note = MEDIA_UNAVAILABLE.format(reason=problem)
        enqueue_topic(rt, tenant, conversation, f"tg-media-{tg.chat_id}-{message.message_id}", note)
    if text:
        _to_customer(
            rt, tenant, conversation.id, key, {"kind": "text", "jid": conversation.jid, "text": text}
        )
    return "forwarded" if text else "ignored"


def _media_problem(rt: Runtime, media: dict[str, Any]) -> str | None:
    """Why this file cannot go to WhatsApp (None: it can)."""
    if rt.media is None:
        return "пересылка файлов не настроена"
    size = media.get("size")
    if isinstance(size, int) and size > rt.media.store.max_bytes:
        return f"файл больше {rt.media.store.max_bytes // (1024 * 1024)} МБ"
    return None


def _to_customer(
    rt: Runtime, tenant: TenantRuntime, conversation_id: uuid.UUID, key: str, payload: dict[str, Any]
) -> None:
    row = tenant.store.outbox.enqueue(
        OutboxDraft(
            idempotency_key=key,
            channel=Channel.CHATFLOW,
            payload=payload,
            conversation_id=conversation_id,
            origin=OutboxOrigin.MANAGER,
        )
    )
    rt.queue.send_outbox(tenant.id, row.id, media=is_media_row(payload))
