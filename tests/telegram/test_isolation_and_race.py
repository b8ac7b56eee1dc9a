"""The take-vs-late-bot-reply race, the webhook secret, ops alerts, and tenant isolation in Telegram."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from cli.main import main
from storage import HandoverStatus, OutboxOrigin, OutboxStatus
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, demo_pack, other_pack, wait_until
from tests.telegram.harness import CHAT, TG_SECRET, TG_TOKEN, Desk, running_desk
from workers.process import process_conversation
from workers.send import send_outbox

pytestmark = pytest.mark.anyio

JID = f"{PHONE}@s.whatsapp.net"
LAW = "Можно оплатить через Kaspi?"
B_CHAT = -1001000000002
B_TOKEN = "200002:auto-service-bot"
B_SECRET = "tg-secret-auto-service"
OPS_CHAT = -1009999


def _data(message: object, label: str) -> str:
    markup = getattr(message, "reply_markup", None)
    assert markup is not None
    return next(b.callback_data for b in markup.buttons() if label in b.text)


def _is_card(m: object) -> bool:
    return "Нужен менеджер" in (getattr(m, "text", None) or "")


async def _turn(desk: Desk, conversation_id: uuid.UUID) -> None:
    await asyncio.sleep(0.1)  # past the coalescing window
    await asyncio.to_thread(process_conversation, desk.rt, "demo_salon", conversation_id)


async def _send_pending(desk: Desk, conversation_id: uuid.UUID) -> None:
    for row in desk.store().outbox.list_for_conversation(conversation_id):
        if row.status == OutboxStatus.PENDING:
            await asyncio.to_thread(send_outbox, desk.rt, "demo_salon", row.id)


async def test_a_bot_reply_computed_before_a_take_is_never_sent(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db, workers=False) as desk:
        await desk.say(LAW)
        conversation = desk.store().conversations.find_by_jid(JID)
        await _turn(desk, conversation.id)
        await _send_pending(desk, conversation.id)
        card = await desk.wait_topic(_is_card, "the card")
        assert card.thread_id is not None
        await desk.manager.press(card.message_id, data=_data(card, "Решено"))
        await _send_pending(desk, conversation.id)

        await desk.say("Сколько стоит маникюр?")
        await _turn(desk, conversation.id)
        rows = desk.store().outbox.list_for_conversation(conversation.id)
        late = next(r for r in rows if r.origin == OutboxOrigin.BOT and r.status == OutboxStatus.PENDING)
        assert "2 500 ₸" in late.payload["text"]
        # the manager writes in the topic before the worker gets to send the bot's reply
        await desk.manager.say(card.thread_id, "Я сама отвечу про цену")
        assert await asyncio.to_thread(send_outbox, desk.rt, "demo_salon", late.id) is None
        assert desk.store().outbox.get(late.id).status == OutboxStatus.CANCELLED
        await _send_pending(desk, conversation.id)
        texts = desk.texts()
        assert texts[-1] == "Я сама отвечу про цену"
        restart = await desk.wait_topic(
            lambda m: "ведёт разговор" in (m.text or ""), "buttons for the new take"
        )
        await desk.manager.press(restart.message_id, data=_data(restart, "Вернуть боту"))
        assert desk.store().conversations.get(conversation.id).owner == "bot"
        assert not any("2 500 ₸" in t for t in texts)


async def test_the_webhook_refuses_a_missing_or_wrong_secret_and_alerts_ops_once(
    embedded_backend: Backend,
) -> None:
    desks: dict[str, dict[str, object]] = {
        "demo_salon": {"telegram_token": TG_TOKEN, "telegram_secret": TG_SECRET},
        "_ops": {"telegram_token": TG_TOKEN, "telegram_chat_id": OPS_CHAT},
    }
    async with running_desk(embedded_backend.db, desks=desks) as desk:
        body = {"update_id": 1}
        for headers in (
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            {"X-Telegram-Bot-Api-Secret-Token": ""},
        ):
            response = await desk.client.post("/webhooks/telegram/demo_salon", json=body, headers=headers)
            assert response.status_code == 401, response.text
        ok = await desk.client.post(
            "/webhooks/telegram/demo_salon", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        )
        assert ok.status_code == 200 and ok.json()["status"] == "ignored"
        ops = desk.telegram.world.chat(OPS_CHAT)
        await wait_until(lambda: len(ops.messages) >= 1, what="the ops alert")
        await asyncio.sleep(0.2)
        assert len(ops.messages) == 1, "deduplicated: one message per kind and window"
        assert "webhook_secret" in (next(iter(ops.messages.values())).text or "")


async def test_tenant_b_bot_can_never_touch_tenant_a(embedded_backend: Backend) -> None:
    desks: dict[str, dict[str, object]] = {
        "demo_salon": {"telegram_token": TG_TOKEN, "telegram_secret": TG_SECRET},
        "auto_service": {"telegram_token": B_TOKEN, "telegram_secret": B_SECRET, "telegram_chat_id": B_CHAT},
    }
    async with running_desk(embedded_backend.db, packs=[demo_pack(), other_pack()], desks=desks) as desk:
        await desk.say(LAW)
        card = await desk.wait_topic(_is_card, "A's card")
        assert B_CHAT not in desk.telegram.world.chats or not desk.telegram.world.chats[B_CHAT].messages
        conversation = desk.store().conversations.find_by_jid(JID)
        b_headers = {"X-Telegram-Bot-Api-Secret-Token": B_SECRET}
        sender = {"id": 2002, "is_bot": False, "first_name": "B manager"}
        for chat in (CHAT, B_CHAT):  # B's bot, naming A's group or its own, with A's thread number
            group = {"id": chat, "type": "supergroup"}
            message = {"message_id": 50, "date": 0, "chat": group, "from": sender, "text": "hijack"}
            hijack = {"update_id": 7, "message": {**message, "message_thread_id": card.thread_id}}
            response = await desk.client.post(
                "/webhooks/telegram/auto_service", json=hijack, headers=b_headers
            )
            assert response.status_code == 200 and response.json()["status"] == "ignored"
        b_group = {"id": B_CHAT, "type": "supergroup"}
        press = {"update_id": 8, "callback_query": {"id": "q", "chat_instance": "i", "from": sender,
                 "data": _data(card, "Взять"),
                 "message": {"message_id": card.message_id, "date": 0, "chat": b_group}}}  # fmt: skip
        response = await desk.client.post("/webhooks/telegram/auto_service", json=press, headers=b_headers)
        assert response.status_code == 200
        wrong_url = await desk.client.post("/webhooks/telegram/demo_salon", json=press, headers=b_headers)
        assert wrong_url.status_code == 401
        await asyncio.sleep(0.3)
        assert desk.store().handovers.find_open(conversation.id).status == HandoverStatus.PENDING
        assert not any("hijack" in t for t in desk.texts())
        assert desk.store("auto_service").conversations.find_by_jid(JID) is None


def test_cli_setup_registers_the_webhook_with_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.serving import serve_in_thread
    from channels.telegram.emulator import create_telegram_emulator_app

    emulator = create_telegram_emulator_app()
    monkeypatch.setenv("DEMO_SALON_TELEGRAM_TOKEN", TG_TOKEN)
    monkeypatch.setenv("DEMO_SALON_TELEGRAM_SECRET", TG_SECRET)
    with serve_in_thread(emulator) as url:
        code = main(
            ["telegram", "setup", "demo_salon", "--public-url", "https://bot.example.kz", "--api-url", url]
        )
    assert code == 0
    bot = emulator.world.bot(TG_TOKEN)
    assert bot.webhook_url == "https://bot.example.kz/webhooks/telegram/demo_salon"
    assert bot.secret_token == TG_SECRET
