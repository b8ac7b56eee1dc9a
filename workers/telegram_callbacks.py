"""Button presses on hand-over and booking cards: act, answer the press, update the buttons.

A press acts only if its object (named in the callback data) allows the transition now; a stale
button (a closed hand-over, a decided booking) is answered with what happened instead. Answers and
button edits are direct Bot API calls (a press must be answered within seconds); notes for the
topic and messages for the customer go through the outbox.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from channels.errors import TelegramError, TelegramRejected
from channels.telegram import CallbackQuery, InlineKeyboardMarkup, TelegramClient
from storage import (
    BookingStatus,
    Channel,
    ConversationRecord,
    HandoverStatus,
    IllegalTransition,
    NotFound,
    OutboxDraft,
    OutboxOrigin,
)
from workers.handover_desk import (
    BOOKING_DECLINED,
    CONFIRM,
    DECLINE,
    RESOLVE,
    RETURN,
    TAKE,
    booking_buttons,
    booking_confirmation,
    enqueue_topic,
    handover_buttons,
)
from workers.runtime import Runtime
from workers.telegram_desk import TenantTelegram
from workers.telegram_outbox import Buttons, keyboard
from workers.tenants import TenantRuntime

__all__ = ["handle_callback"]

log = logging.getLogger("truffles.telegram.callbacks")

STALE = "Эта кнопка устарела: заявка уже закрыта."
NOT_MODIFIED = "message is not modified"


@dataclass
class _Outcome:
    answer: str
    buttons: Buttons | None  # None: remove the buttons


def handle_callback(rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, query: CallbackQuery) -> str:
    message = query.message
    if message is None or message.chat.id != tg.chat_id:
        _answer(rt, tg, query.id, "Не эта группа.")
        return "ignored"
    who = query.from_.full_name or query.from_.username or "менеджер"
    parts = (query.data or "").split(":")
    try:
        kind, action, object_id = parts[0], parts[1], uuid.UUID(hex=parts[2])
    except (IndexError, ValueError):
        _answer(rt, tg, query.id, "Неизвестная кнопка.")
        return "ignored"
    try:
        if kind == "h1":
            outcome = _handover(rt, tenant, object_id, action, who)
        elif kind == "b1":
            outcome = _booking(rt, tenant, object_id, action, who)
        else:
            outcome = _Outcome("Неизвестная кнопка.", None)
    except NotFound:
        outcome = _Outcome(STALE, None)
    _answer(rt, tg, query.id, outcome.answer)
    _edit(rt, tg, message.message_id, keyboard(outcome.buttons))
    return f"callback:{kind}:{action}"


def _handover(rt: Runtime, tenant: TenantRuntime, handover_id: uuid.UUID, action: str, who: str) -> _Outcome:
    store = tenant.store
    handover = store.handovers.get(handover_id)
    conversation = store.conversations.get(handover.conversation_id)
    try:
        if action == TAKE and handover.status == HandoverStatus.PENDING:
            taken = store.handovers.take(handover_id, who)
            return _Outcome("Разговор ваш: пишите здесь, клиент получит в WhatsApp.", handover_buttons(taken))
        if action == RETURN and handover.status in (HandoverStatus.PENDING, HandoverStatus.ACTIVE):
            store.handovers.return_to_bot(handover_id)
            _note(rt, tenant, conversation, handover_id, action, f"↩️ {who} вернул(а) разговор боту.")
            return _Outcome("Разговор возвращён боту.", None)
        if action == RESOLVE and handover.status in (HandoverStatus.PENDING, HandoverStatus.ACTIVE):
            store.handovers.resolve(handover_id)
            _note(
                rt,
                tenant,
                conversation,
                handover_id,
                action,
                f"✅ Решено ({who}). Бот снова отвечает клиенту.",
            )
            return _Outcome("Отмечено как решённое.", None)
    except IllegalTransition:  # another manager was faster
        handover = store.handovers.get(handover_id)
    if handover.status == HandoverStatus.ACTIVE:
        return _Outcome(f"Разговор уже взял(а) {handover.taken_by}.", handover_buttons(handover))
    if handover.status == HandoverStatus.PENDING:
        return _Outcome("Нажмите «Взять», «Вернуть боту» или «Решено».", handover_buttons(handover))
    return _Outcome(STALE, None)


def _booking(rt: Runtime, tenant: TenantRuntime, booking_id: uuid.UUID, action: str, who: str) -> _Outcome:
    store = tenant.store
    booking = store.bookings.get(booking_id)
    conversation = store.conversations.get(booking.conversation_id)
    open_states = (BookingStatus.NEW, BookingStatus.TAKEN)
    try:
        if action == TAKE and booking.status == BookingStatus.NEW:
            taken = store.bookings.take(booking_id, who)
            return _Outcome("Заявка ваша.", booking_buttons(taken))
        if action in (CONFIRM, DECLINE) and booking.status in open_states:
            confirm = action == CONFIRM
            done = (
                store.bookings.confirm(booking_id, who)
                if confirm
                else store.bookings.decline(booking_id, who)
            )
            text = booking_confirmation(done) if confirm else BOOKING_DECLINED
            _to_customer(rt, tenant, conversation, f"booking-{action}-{booking_id}", text)
            verdict = "подтвердил(а)" if confirm else "отклонил(а)"
            _note(
                rt, tenant, conversation, booking_id, action, f"📅 {who} {verdict} заявку. Клиенту: «{text}»"
            )
            return _Outcome("Клиенту отправлено.", None)
    except IllegalTransition:
        booking = store.bookings.get(booking_id)
    if booking.status in open_states:
        return _Outcome(f"Заявку взял(а) {booking.handled_by}.", booking_buttons(booking))
    return _Outcome(
        f"Заявка уже {'подтверждена' if booking.status == BookingStatus.CONFIRMED else 'закрыта'}.", None
    )


def _to_customer(
    rt: Runtime, tenant: TenantRuntime, conversation: ConversationRecord, key: str, text: str
) -> None:
    row = tenant.store.outbox.enqueue(
        OutboxDraft(
            idempotency_key=key,
            channel=Channel.CHATFLOW,
            payload={"kind": "text", "jid": conversation.jid, "text": text},
            conversation_id=conversation.id,
            origin=OutboxOrigin.MANAGER,
        )
    )
    rt.queue.send_outbox(tenant.id, row.id)


def _note(
    rt: Runtime,
    tenant: TenantRuntime,
    conversation: ConversationRecord,
    object_id: uuid.UUID,
    action: str,
    text: str,
) -> None:
    enqueue_topic(rt, tenant, conversation, f"note-{action}-{object_id}", text)


def _answer(rt: Runtime, tg: TenantTelegram, query_id: str, text: str) -> None:
    assert rt.telegram is not None
    try:
        rt.telegram.gateway.run(tg.token, lambda c: c.answer_callback_query(query_id, text=text))
    except TelegramError as exc:  # too late or Telegram down: the action itself is done
        log.warning("tenant=%s: answerCallbackQuery failed: %s", tg.tenant_id, exc)


def _edit(rt: Runtime, tg: TenantTelegram, message_id: int, markup: InlineKeyboardMarkup | None) -> None:
    assert rt.telegram is not None

    async def call(client: TelegramClient) -> object:
        return await client.edit_message_reply_markup(tg.chat_id, message_id, markup)

    try:
        rt.telegram.gateway.run(tg.token, call)
    except TelegramRejected as exc:
        if NOT_MODIFIED not in exc.description:
            log.warning("tenant=%s: editMessageReplyMarkup refused: %s", tg.tenant_id, exc)
    except TelegramError as exc:
        log.warning("tenant=%s: editMessageReplyMarkup failed: %s", tg.tenant_id, exc)
