"""Post hand-overs and booking requests into the customer's forum topic, and forward what they write.

Everything a manager sees goes through the outbox (channel ``telegram``), so a Telegram 429/5xx is
retried like any delivery and a card is posted once (its idempotency key names the hand-over).
Button ``callback_data`` is ``<kind>1:<action>:<object id hex>``: at most 40 bytes, and it names the
exact hand-over/booking it acts on, so a button left on an old card can never act on a newer one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from storage import (
    BookingRecord,
    BookingStatus,
    Channel,
    ConversationRecord,
    HandoverRecord,
    MessageRecord,
    OutboxDraft,
    OutboxOrigin,
)
from storage.log_context import with_correlation
from workers.runtime import Runtime
from workers.telegram_outbox import Buttons, topic_payload
from workers.tenants import TenantRuntime

__all__ = [
    "TelegramForward",
    "announce_effects",
    "booking_buttons",
    "booking_confirmation",
    "callback_data",
    "enqueue_topic",
    "handover_buttons",
]

log = logging.getLogger("truffles.handover")

TAKE, RETURN, RESOLVE, NOOP = "take", "ret", "done", "who"
CONFIRM, DECLINE = "ok", "no"
WORDS_MAX = 700


def callback_data(kind: str, action: str, object_id: uuid.UUID) -> str:
    return f"{kind}1:{action}:{object_id.hex}"


def handover_buttons(handover: HandoverRecord) -> Buttons:
    rest = [("↩️ Вернуть боту", callback_data("h", RETURN, handover.id)),
            ("✅ Решено", callback_data("h", RESOLVE, handover.id))]  # fmt: skip
    if handover.taken_by:
        return [[(f"✋ Взял: {handover.taken_by}"[:60], callback_data("h", NOOP, handover.id))], rest]
    return [[("✋ Взять", callback_data("h", TAKE, handover.id))], rest]


def booking_buttons(booking: BookingRecord) -> Buttons:
    decide = [("✅ Подтвердить", callback_data("b", CONFIRM, booking.id)),
              ("❌ Отклонить", callback_data("b", DECLINE, booking.id))]  # fmt: skip
    if booking.handled_by:
        return [[(f"✋ Взял: {booking.handled_by}"[:60], callback_data("b", NOOP, booking.id))], decide]
    return [[("✋ Взять", callback_data("b", TAKE, booking.id))], decide]


def booking_confirmation(booking: BookingRecord) -> str:
    """The text the customer receives when a manager confirms (shown on the card before they do)."""
    when = f", {booking.datetime_text}" if booking.datetime_text else ""
    name = f", {booking.name}" if booking.name else ""
    return f"Ваша запись подтверждена: {booking.service}{when}. Ждём вас{name}!"


BOOKING_DECLINED = (
    "К сожалению, администратор не может подтвердить запись на это время. Он свяжется с вами, "
    "чтобы подобрать другое."
)


def enqueue_topic(
    rt: Runtime,
    tenant: TenantRuntime,
    conversation: ConversationRecord,
    key: str,
    text: str,
    *,
    buttons: Buttons | None = None,
    handover_id: uuid.UUID | None = None,
) -> None:
    """Queue one message into the customer's topic (no-op without a desk for this tenant)."""
    if rt.telegram is None or rt.telegram.for_tenant(tenant.id) is None:
        log.info("tenant=%s has no Telegram desk: %s not posted", tenant.id, key)
        return
    row = tenant.store.outbox.enqueue(
        OutboxDraft(
            idempotency_key=key,
            channel=Channel.TELEGRAM,
            payload=with_correlation(
                topic_payload(conversation.customer_id, text, buttons=buttons, handover_id=handover_id)
            ),
            conversation_id=conversation.id,
            origin=OutboxOrigin.SYSTEM,
        )
    )
    rt.queue.send_outbox(tenant.id, row.id)


def announce_effects(
    rt: Runtime,
    tenant: TenantRuntime,
    conversation: ConversationRecord,
    pending: Sequence[MessageRecord],
    decision: dict[str, Any],
) -> None:
    """After a turn's effects were applied: post the hand-over / booking cards into the topic."""
    kinds = {str(e.get("kind")) for e in decision.get("effects", [])}
    words = "\n".join(m.text for m in pending if m.text)[:WORDS_MAX]
    if "handover" in kinds:
        handover = tenant.store.handovers.find_open(conversation.id)
        if handover is not None:
            text = _handover_card(tenant, conversation, handover, words, decision)
            enqueue_topic(rt, tenant, conversation, f"handover-{handover.id}", text,
                          buttons=handover_buttons(handover), handover_id=handover.id)  # fmt: skip
    if "booking_request" in kinds:
        found = tenant.store.bookings.list(conversation_id=conversation.id, status=BookingStatus.NEW, limit=1)
        for booking in found:
            enqueue_topic(rt, tenant, conversation, f"booking-{booking.id}", _booking_card(booking, words),
                          buttons=booking_buttons(booking))  # fmt: skip


def _reason_label(tenant: TenantRuntime, reason: str) -> str:
    for topic in tenant.pack.source.law:
        if topic.id == reason:
            return f"{topic.reason} ({reason})"
    return reason


def _handover_card(
    tenant: TenantRuntime,
    conversation: ConversationRecord,
    handover: HandoverRecord,
    words: str,
    decision: dict[str, Any],
) -> str:
    slots = {k: v for k, v in (decision.get("booking_slots") or {}).items() if v}
    collected = ", ".join(f"{k}: {v}" for k, v in slots.items()) or "—"
    return "\n".join(
        [
            f"🔔 Нужен менеджер: {_reason_label(tenant, handover.reason)}",
            f"Клиент написал: «{words or '—'}»",
            f"Собрано: {collected}",
            f"Бот ответил: «{decision.get('reply') or '—'}»",
            f"Разговор: {conversation.id}",
            "Напишите здесь — клиент получит ваше сообщение в WhatsApp (первое сообщение = «Взять»).",
        ]
    )


def _booking_card(booking: BookingRecord, words: str) -> str:
    return "\n".join(
        [
            "📅 Заявка на запись",
            f"Услуга: {booking.service or '—'}",
            f"Дата и время: {booking.datetime_text or '—'}",
            f"Имя: {booking.name or '—'}",
            f"Телефон: {booking.phone or '—'}",
            f"Клиент написал: «{words or '—'}»",
            f"При подтверждении клиент получит: «{booking_confirmation(booking)}»",
        ]
    )


class TelegramForward:
    """The :class:`~workers.runtime.ManagerForward` hook: customer messages go into the topic."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def __call__(
        self, tenant: TenantRuntime, conversation: ConversationRecord, messages: Sequence[MessageRecord]
    ) -> None:
        for message in messages:
            body = message.text or ""
            if message.media:
                kind = str(message.media.get("kind") or message.media.get("type") or "вложение")
                body = f"[{kind}] {body}".strip()
            enqueue_topic(self._rt, tenant, conversation, f"fwd-{message.id}", f"💬 Клиент: {body or '…'}")
