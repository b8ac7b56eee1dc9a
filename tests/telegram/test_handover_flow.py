"""End to end through both emulators: a LAW question handed over, answered by a manager, resolved."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from storage import HandoverStatus, Owner
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, wait_until
from tests.telegram.harness import CHAT, running_desk

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
JID = f"{PHONE}@s.whatsapp.net"
VIEW_HEADER = (
    "The managers' Telegram group during a hand-over, as rendered by the Telegram emulator\n"
    "(GET /_emulator/transcript/{chat_id}). Produced by tests/telegram/test_handover_flow.py with\n"
    "TRUFFLES_WRITE_MANAGER_VIEW=1: a customer asks about Kaspi (a LAW topic) on WhatsApp."
)


def _data(message: object, label: str) -> str:
    markup = getattr(message, "reply_markup", None)
    assert markup is not None, "the card has no buttons"
    return next(b.callback_data for b in markup.buttons() if label in b.text)


async def test_law_question_goes_to_a_topic_and_back(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db) as desk:
        await desk.say("Можно оплатить через Kaspi?")
        assert "администратор" in (await desk.wait_texts(1))[0]
        card = await desk.wait_topic(lambda m: "Нужен менеджер" in (m.text or ""), "the hand-over card")
        assert "Payments banned" in (card.text or "") and "Kaspi" in (card.text or "")
        labels = [b.text for b in card.reply_markup.buttons()] if card.reply_markup else []
        assert labels == ["✋ Взять", "↩️ Вернуть боту", "✅ Решено"]
        assert all(len((b.callback_data or "").encode()) <= 64 for b in card.reply_markup.buttons())  # type: ignore[union-attr]
        conversation = desk.store().conversations.find_by_jid(JID)
        handovers = desk.store().handovers
        await wait_until(lambda: handovers.find_open(conversation.id).telegram_thread_id == card.thread_id)

        pressed = await desk.manager.press(card.message_id, data=_data(card, "Взять"))
        assert pressed.status == 200, pressed.body
        handover = desk.store().handovers.find_open(conversation.id)
        assert handover.status == HandoverStatus.ACTIVE and handover.taken_by == "Dana"
        card = desk.telegram.world.chat(CHAT).messages[card.message_id]
        assert "Взял: Dana" in card.reply_markup.buttons()[0].text  # type: ignore[union-attr]
        assert desk.telegram.world.callbacks[next(iter(desk.telegram.world.callbacks))].answered

        assert card.thread_id is not None
        await desk.manager.say(card.thread_id, "Здравствуйте! Kaspi принимаем, QR на кассе.")
        assert (await desk.wait_texts(2))[1] == "Здравствуйте! Kaspi принимаем, QR на кассе."
        taken_view = await desk.manager.transcript()

        await desk.say("Спасибо! А рассрочка есть?")
        await desk.wait_topic(
            lambda m: "рассрочка" in (m.text or "") and "Клиент" in (m.text or ""), "forward"
        )
        await asyncio.sleep(0.3)
        assert len(desk.texts()) == 2, "the bot must stay silent while a manager owns the conversation"

        await desk.manager.press(card.message_id, data=_data(card, "Решено"))
        assert desk.store().conversations.get(conversation.id).owner == Owner.BOT
        await desk.wait_topic(lambda m: "Решено" in (m.text or "") and m.reply_markup is None, "resolve note")

        await desk.say("Сколько стоит маникюр?")
        assert "2 500 ₸" in (await desk.wait_texts(3))[2]
        transcript = await desk.manager.transcript()
        assert "Нужен менеджер" in transcript and "Kaspi принимаем" in transcript
        if os.environ.get("TRUFFLES_WRITE_MANAGER_VIEW"):
            view = f"{VIEW_HEADER}\n\n1) After «Взять» and the manager's reply:\n\n{taken_view}\n"
            view += f"2) After the customer's follow-up and «Решено»:\n\n{transcript}"
            (REPO / "docs" / "manager_view.txt").write_text(view, encoding="utf-8")
