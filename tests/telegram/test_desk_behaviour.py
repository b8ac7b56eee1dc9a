"""Reminders and expiry on a controllable clock, a deleted topic, Telegram 429/5xx, a booking request."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from channels.faults import FaultSpec
from storage import BookingStatus, HandoverStatus, OutboxStatus, Owner
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, wait_until
from tests.telegram.harness import CHAT, TG_SECRET, OffsetClock, running_desk
from workers.reminders import run_handover_clock

pytestmark = pytest.mark.anyio

JID = f"{PHONE}@s.whatsapp.net"
LAW = "Можно оплатить через Kaspi?"


def _data(message: object, label: str) -> str:
    markup = getattr(message, "reply_markup", None)
    assert markup is not None
    return next(b.callback_data for b in markup.buttons() if label in b.text)


def _is_card(m: object) -> bool:
    return "Нужен менеджер" in (getattr(m, "text", None) or "")


async def test_reminders_at_30_and_60_minutes_then_expiry_returns_to_the_bot(
    embedded_backend: Backend,
) -> None:
    clock = OffsetClock()
    async with running_desk(embedded_backend.db, clock=clock) as desk:
        tenant = desk.rt.tenants.get("demo_salon")
        await desk.say(LAW)
        await desk.wait_topic(_is_card, "the card")
        assert run_handover_clock(desk.rt, tenant) == 0
        clock.advance(31)
        assert run_handover_clock(desk.rt, tenant) == 1
        first = await desk.wait_topic(lambda m: "⏰" in (m.text or ""), "the first reminder")
        assert "30 мин" in (first.text or "") and "@mira_owner" not in (first.text or "")
        clock.advance(30)
        assert run_handover_clock(desk.rt, tenant) == 1
        second = await desk.wait_topic(lambda m: "60 мин" in (m.text or ""), "the second reminder")
        assert "@mira_owner" in (second.text or "")
        assert run_handover_clock(desk.rt, tenant) == 0, "a reminder is posted once"
        clock.advance(60)
        assert run_handover_clock(desk.rt, tenant) == 1
        await desk.wait_topic(lambda m: "⌛" in (m.text or ""), "the expiry note")
        conversation = desk.store().conversations.find_by_jid(JID)
        assert desk.store().conversations.get(conversation.id).owner == Owner.BOT
        assert desk.store().handovers.list_by_status(HandoverStatus.EXPIRED)
        await desk.say("Сколько стоит маникюр?")
        assert "2 500 ₸" in (await desk.wait_texts(2))[1]


async def test_a_deleted_topic_is_recreated_and_used_both_ways(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db) as desk:
        await desk.say(LAW)
        card = await desk.wait_topic(_is_card, "the card")
        assert card.thread_id is not None
        await desk.manager.delete_topic(card.thread_id)
        await desk.say("Алло, вы тут?")
        forwarded = await desk.wait_topic(lambda m: "Алло" in (m.text or ""), "the forward in a new topic")
        assert forwarded.thread_id not in (None, card.thread_id)
        conversation = desk.store().conversations.find_by_jid(JID)
        stored = desk.store().topics.thread_for(conversation.customer_id, desk.manager.chat_id)
        assert stored == forwarded.thread_id
        assert forwarded.thread_id is not None
        await desk.manager.say(forwarded.thread_id, "Да, здравствуйте!")
        assert (await desk.wait_texts(2))[1] == "Да, здравствуйте!"


async def test_telegram_429_then_500_then_success_posts_the_card_once(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db) as desk:
        desk.telegram.faults.add(FaultSpec(mode="429", retry_after=0.1, endpoint="sendMessage"))
        desk.telegram.faults.add(FaultSpec(mode="502", endpoint="sendMessage"))
        await desk.say(LAW)
        await desk.wait_topic(_is_card, "the card")
        await asyncio.sleep(0.3)
        assert len([m for m in desk.topic_messages() if _is_card(m)]) == 1
        sends = [status for method, status in desk.telegram.calls if method == "sendMessage"]
        assert sends[:3] == [429, 502, 200]
        conversation = desk.store().conversations.find_by_jid(JID)
        rows = [
            r for r in desk.store().outbox.list_for_conversation(conversation.id) if r.channel == "telegram"
        ]
        await wait_until(lambda: all(r.status == OutboxStatus.SENT for r in
                                     desk.store().outbox.list_for_conversation(conversation.id)))  # fmt: skip
        assert [r.attempts for r in rows if r.idempotency_key.startswith("handover-")] in ([3], [2], [1])


async def test_a_redelivered_manager_update_reaches_the_customer_once(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db) as desk:
        await desk.say(LAW)
        card = await desk.wait_topic(_is_card, "the card")
        assert card.thread_id is not None
        delivered = await desk.manager.say(card.thread_id, "Отвечу сейчас")
        await desk.wait_texts(2)
        again = await desk.client.post(
            "/webhooks/telegram/demo_salon",
            content=msgspec.json.encode(delivered.update),
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "content-type": "application/json"},
        )
        assert again.status_code == 200
        await asyncio.sleep(0.3)
        assert desk.texts().count("Отвечу сейчас") == 1


async def test_booking_request_from_first_message_to_manager_confirmation(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db) as desk:
        turns = ["Хочу записаться на педикюр с покрытием", "в субботу в 11:00", "Айгерим", "+7 701 234 56 78"]
        for number, text in enumerate(turns, start=1):
            await desk.say(text)
            await desk.wait_texts(number)
        collected = desk.texts()[-1]
        assert (
            "передал заявку администратору" in collected.lower() and "подтвержд" not in collected.lower()[:0]
        )
        card = await desk.wait_topic(lambda m: "Заявка на запись" in (m.text or ""), "the booking card")
        assert "Айгерим" in (card.text or "") and "11:00" in (card.text or "")
        labels = [b.text for b in card.reply_markup.buttons()] if card.reply_markup else []
        assert labels == ["✋ Взять", "✅ Подтвердить", "❌ Отклонить"]
        booking = desk.store().bookings.list()[0]
        assert booking.status == BookingStatus.NEW

        decline = _data(card, "Отклонить")
        await desk.manager.press(card.message_id, data=_data(card, "Взять"))
        assert desk.store().bookings.get(booking.id).status == BookingStatus.TAKEN
        await desk.manager.press(card.message_id, data=_data(card, "Подтвердить"))
        assert desk.store().bookings.get(booking.id).status == BookingStatus.CONFIRMED
        approved = (card.text or "").split("При подтверждении клиент получит: «")[1].rstrip("»")
        assert (await desk.wait_texts(5))[4] == approved
        assert card.reply_markup is None, "decided: the buttons are gone"
        # a stale button (e.g. an old client still showing it) does nothing
        stale = await desk.client.post(
            "/webhooks/telegram/demo_salon",
            json={"update_id": 999, "callback_query": {
                "id": "stale-1", "chat_instance": "x", "data": decline,
                "from": {"id": 1001, "is_bot": False, "first_name": "Manager"},
                "message": {"message_id": card.message_id, "date": 0,
                            "chat": {"id": CHAT, "type": "supergroup"}},
            }},
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )  # fmt: skip
        assert stale.status_code == 200, stale.text
        await asyncio.sleep(0.2)
        assert len(desk.texts()) == 5
        assert desk.store().bookings.get(booking.id).status == BookingStatus.CONFIRMED
