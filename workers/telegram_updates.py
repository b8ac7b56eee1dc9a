"""What a manager does in the tenant's forum group: write in a customer's topic, press a button.

Called by the web edge with an :class:`~channels.telegram.Update` that already passed the tenant's
secret check. Everything is looked up through *this* tenant's store and only in *this* tenant's
manager group, so an update of another bot can never touch another tenant's conversations.
A manager's message reaches the customer through the outbox (idempotency key = Telegram's chat and
message id, so a re-delivered update is never sent twice).
"""

from __future__ import annotations

import logging

from channels.telegram import Message, Update
from storage import Channel, HandoverStatus, OutboxDraft, OutboxOrigin
from workers.handover_desk import enqueue_topic, handover_buttons
from workers.runtime import Runtime
from workers.telegram_callbacks import handle_callback
from workers.telegram_desk import TenantTelegram
from workers.tenants import TenantRuntime

__all__ = ["MEDIA_NOT_FORWARDED", "handle_update", "manager_name"]

log = logging.getLogger("truffles.telegram.updates")

MEDIA_NOT_FORWARDED = (
    "⚠️ Вложения (фото, документы, голосовые) пока не пересылаются клиенту: отправьте текстом "
    "или ссылкой. Подпись к вложению клиент получил."
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
    has_media = bool(message.photo or message.document or message.voice)
    if text:
        row = store.outbox.enqueue(
            OutboxDraft(
                idempotency_key=f"tg-{tg.chat_id}-{message.message_id}",
                channel=Channel.CHATFLOW,
                payload={"kind": "text", "jid": conversation.jid, "text": text},
                conversation_id=conversation.id,
                origin=OutboxOrigin.MANAGER,
            )
        )
        rt.queue.send_outbox(tenant.id, row.id)
    if has_media:
        key = f"tg-media-{tg.chat_id}-{message.message_id}"
        enqueue_topic(rt, tenant, conversation, key, MEDIA_NOT_FORWARDED)
    return "forwarded" if text else "ignored"
