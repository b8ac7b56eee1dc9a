from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from channels.errors import TelegramRejected
from channels.telegram.client import TelegramClient
from channels.telegram.emulator import TelegramEmulator, create_telegram_emulator_app
from channels.telegram.player import ManagerActionFailed, ManagerPlayer
from channels.telegram.types import InlineKeyboardButton, InlineKeyboardMarkup, User
from tests.channels.support import BOT_TOKEN, GROUP, OTHER_BOT_TOKEN, FakeDesk

pytestmark = pytest.mark.anyio

WEBHOOK = "http://desk.test/webhooks/telegram/demo_salon"
HANDOVER_BUTTONS = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Взять", callback_data="take:42"),
            InlineKeyboardButton(text="Решено", callback_data="resolve:42"),
        ]
    ]
)
DANA = User(id=777, is_bot=False, first_name="Дана", username="dana")


@pytest.fixture
async def manager(telegram_emulator: TelegramEmulator) -> AsyncIterator[ManagerPlayer]:
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with ManagerPlayer(
        "http://telegram.test", token=BOT_TOKEN, chat_id=GROUP, manager=DANA, transport=transport
    ) as player:
        yield player


async def _open_handover(telegram: TelegramClient) -> tuple[int, int]:
    await telegram.set_webhook(WEBHOOK, "s3cret-token")
    topic = await telegram.create_forum_topic(GROUP, "Айгерим · 7701*****67")
    card = await telegram.send_message(
        GROUP,
        "Передача: вопрос об оплате",
        message_thread_id=topic.message_thread_id,
        reply_markup=HANDOVER_BUTTONS,
    )
    await telegram.pin_chat_message(GROUP, card.message_id)
    return topic.message_thread_id, card.message_id


async def test_manager_message_reaches_the_webhook_with_the_secret(
    telegram: TelegramClient, manager: ManagerPlayer, desk: FakeDesk
) -> None:
    thread_id, _ = await _open_handover(telegram)
    delivered = await manager.say(thread_id, "Здравствуйте! Беру.")
    assert (delivered.status, delivered.webhook_url) == (200, WEBHOOK)
    [update] = desk.updates
    assert update == delivered.update
    assert update.message is not None
    assert (update.message.chat.id, update.message.message_thread_id) == (GROUP, thread_id)
    assert update.message.text == "Здравствуйте! Беру."
    assert update.message.from_ == DANA


async def test_wrong_secret_is_visible_in_the_delivery(
    telegram: TelegramClient, manager: ManagerPlayer, desk: FakeDesk
) -> None:
    thread_id, _ = await _open_handover(telegram)
    await telegram.set_webhook(WEBHOOK, "another-secret")
    delivered = await manager.say(thread_id, "hi")
    assert delivered.status == 403
    assert (desk.updates, desk.refused) == ([], 1)


async def test_button_press_is_a_callback_query_the_desk_can_answer_once(
    telegram: TelegramClient, manager: ManagerPlayer, desk: FakeDesk, telegram_emulator: TelegramEmulator
) -> None:
    _, card_id = await _open_handover(telegram)
    delivered = await manager.press(card_id, data="take:42")
    query = delivered.update.callback_query
    assert query is not None
    assert (query.data, query.from_, query.message and query.message.message_id) == ("take:42", DANA, card_id)
    assert desk.updates == [delivered.update]
    assert await telegram.answer_callback_query(query.id, text="Вы взяли разговор")
    [record] = telegram_emulator.world.callbacks.values()
    assert (record.answered, record.answer_text, record.from_id) == (True, "Вы взяли разговор", DANA.id)
    with pytest.raises(TelegramRejected, match="query ID is invalid"):
        await telegram.answer_callback_query(query.id)


async def test_press_by_label(telegram: TelegramClient, manager: ManagerPlayer) -> None:
    _, card_id = await _open_handover(telegram)
    delivered = await manager.press(card_id, text="Решено")
    assert delivered.update.callback_query is not None
    assert delivered.update.callback_query.data == "resolve:42"


async def test_pressing_a_missing_button_lists_the_buttons(
    telegram: TelegramClient, manager: ManagerPlayer
) -> None:
    _, card_id = await _open_handover(telegram)
    with pytest.raises(ManagerActionFailed, match=r"no callback button 'skip:42'.*take:42"):
        await manager.press(card_id, data="skip:42")


async def test_another_bot_cannot_answer_this_bots_callback(
    telegram: TelegramClient, manager: ManagerPlayer, telegram_emulator: TelegramEmulator
) -> None:
    _, card_id = await _open_handover(telegram)
    query = (await manager.press(card_id, data="take:42")).update.callback_query
    assert query is not None
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with TelegramClient(OTHER_BOT_TOKEN, base_url="http://tg", transport=transport) as other:
        with pytest.raises(TelegramRejected, match="query ID is invalid"):
            await other.answer_callback_query(query.id)


async def test_acting_without_a_webhook_says_what_to_do(
    manager: ManagerPlayer, telegram: TelegramClient
) -> None:
    topic = await telegram.create_forum_topic(GROUP, "t")
    with pytest.raises(ManagerActionFailed, match="call setWebhook first"):
        await manager.say(topic.message_thread_id, "hi")


async def test_deleted_topic_via_control_api(telegram: TelegramClient, manager: ManagerPlayer) -> None:
    thread_id, _ = await _open_handover(telegram)
    await manager.delete_topic(thread_id)
    with pytest.raises(ManagerActionFailed, match="message thread not found"):
        await manager.say(thread_id, "hi")
    with pytest.raises(ManagerActionFailed, match="TOPIC_ID_INVALID"):
        await manager.delete_topic(thread_id)


async def test_transcript_shows_topics_pins_buttons_and_deletions(
    telegram: TelegramClient, manager: ManagerPlayer
) -> None:
    thread_id, card_id = await _open_handover(telegram)
    await manager.say(thread_id, "Беру!\nСейчас уточню.")
    gone = await telegram.create_forum_topic(GROUP, "Удалённый")
    await telegram.send_message(GROUP, "секрет", message_thread_id=gone.message_thread_id)
    await manager.delete_topic(gone.message_thread_id)
    await telegram.close_forum_topic(GROUP, thread_id)
    text = await manager.transcript()
    lines = text.splitlines()
    assert lines[0] == f"Chat {GROUP} «Chat {GROUP}» (forum)"
    assert f"── Topic {thread_id} «Айгерим · 7701*****67» — closed ──" in lines
    assert any(f"#{card_id} Bot 123456 (bot): Передача: вопрос об оплате  (pinned)" in line for line in lines)
    assert "        [Взять] [Решено]" in lines
    assert any("Дана: Беру!" in line for line in lines)
    assert "        Сейчас уточню." in lines
    assert f"── Topic {gone.message_thread_id} «Удалённый» — deleted by a manager ──" in lines
    assert "секрет" not in text


async def test_chat_state_and_updates_endpoints(
    telegram: TelegramClient, manager: ManagerPlayer, telegram_emulator: TelegramEmulator
) -> None:
    thread_id, card_id = await _open_handover(telegram)
    await manager.say(thread_id, "hi")
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with httpx.AsyncClient(base_url="http://tg", transport=transport) as http:
        state = (await http.get(f"/_emulator/chats/{GROUP}")).json()
        updates = (await http.get("/_emulator/updates")).json()
    assert state["pinned"] == [card_id]
    assert [t["name"] for t in state["topics"]] == ["Айгерим · 7701*****67"]
    assert [m.get("text") for m in state["messages"]] == [None, "Передача: вопрос об оплате", "hi"]
    assert state["messages"][0]["forum_topic_created"]["name"] == "Айгерим · 7701*****67"
    assert [u["status"] for u in updates] == [200]


async def test_form_encoded_and_query_parameters_are_accepted(telegram_emulator: TelegramEmulator) -> None:
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with httpx.AsyncClient(base_url="http://tg", transport=transport) as http:
        form = await http.post(f"/bot{BOT_TOKEN}/sendMessage", data={"chat_id": str(GROUP), "text": "form"})
        query = await http.get(f"/bot{BOT_TOKEN}/sendMessage", params={"chat_id": GROUP, "text": "query"})
        unknown = await http.post(f"/bot{BOT_TOKEN}/sendSticker", json={})
        malformed = await http.post(f"/bot{BOT_TOKEN}/sendMessage", content=b"{oops")
    assert form.json()["result"]["text"] == "form"
    assert query.json()["result"]["text"] == "query"
    assert unknown.status_code == 404
    assert (malformed.status_code, malformed.json()["ok"]) == (400, False)


async def test_fault_switches_count_endpoint_rate_and_reset(telegram_emulator: TelegramEmulator) -> None:
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with httpx.AsyncClient(base_url="http://tg", transport=transport) as http:

        async def statuses(n: int) -> list[int]:
            sent = [
                await http.post(f"/bot{BOT_TOKEN}/sendMessage", json={"chat_id": GROUP, "text": "x"})
                for _ in range(n)
            ]
            return [response.status_code for response in sent]

        assert (await http.post("/_emulator/faults", json={"mode": "429", "count": 2})).status_code == 200
        limited = await http.post(f"/bot{BOT_TOKEN}/sendMessage", json={"chat_id": GROUP, "text": "x"})
        assert limited.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1.0},
        }
        assert await statuses(2) == [429, 200]
        await http.post("/_emulator/faults", json={"error_rate": 0.5, "seed": 7})
        first = await statuses(20)
        await http.post("/_emulator/faults", json={"error_rate": 0.5, "seed": 7})
        assert await statuses(20) == first
        assert 0 < first.count(500) < 20
        await http.post("/_emulator/reset")
        assert await statuses(3) == [200, 200, 200]
        bad = await http.post("/_emulator/faults", json={"mode": "teapot"})
        assert bad.status_code == 400
        assert "'teapot' is not one of" in bad.json()["description"]


def test_create_app_with_explicit_chats_only() -> None:
    emulator = create_telegram_emulator_app(auto_create_chats=False)
    emulator.world.add_chat(GROUP, "Мира — менеджеры")
    assert emulator.transcript(GROUP) == f"Chat {GROUP} «Мира — менеджеры» (forum)\n"


async def test_transcript_shows_button_presses_and_answers(
    telegram: TelegramClient, manager: ManagerPlayer, telegram_emulator: TelegramEmulator
) -> None:
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with httpx.AsyncClient(base_url="http://tg", transport=transport) as http:
        named = await http.post("/_emulator/bots", json={"token": BOT_TOKEN, "first_name": "Truffles · Мира"})
    assert named.status_code == 201
    _, card_id = await _open_handover(telegram)
    taken = (await manager.press(card_id, data="take:42")).update.callback_query
    assert taken is not None
    await telegram.answer_callback_query(taken.id, text="Вы взяли разговор")
    await manager.press(card_id, text="Решено")
    lines = (await manager.transcript()).splitlines()
    card_line = next(i for i, line in enumerate(lines) if f"#{card_id} " in line)
    assert "Truffles · Мира (bot): Передача" in lines[card_line]
    assert lines[card_line + 2 : card_line + 4] == [
        "        ↳ Дана pressed [Взять] → «Вы взяли разговор»",
        "        ↳ Дана pressed [Решено] (not answered)",
    ]
