from __future__ import annotations

import anyio
import httpx
import pytest

from channels.errors import TelegramRateLimited, TelegramRejected, TelegramUnavailable, TopicNotFound
from channels.faults import parse_fault_spec
from channels.serving import serve_in_thread
from channels.telegram.client import TelegramClient
from channels.telegram.emulator import TelegramEmulator, create_telegram_emulator_app
from channels.telegram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from tests.channels.support import BOT_TOKEN, GROUP, OTHER_BOT_TOKEN

pytestmark = pytest.mark.anyio

BUTTONS = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Взять", callback_data="take:42")],
        [InlineKeyboardButton(text="Вернуть боту", callback_data="bot:42")],
    ]
)


async def test_topic_lifecycle_and_messages(
    telegram: TelegramClient, telegram_emulator: TelegramEmulator
) -> None:
    topic = await telegram.create_forum_topic(GROUP, "Айгерим · 7701*****67")
    sent = await telegram.send_message(
        GROUP,
        "<b>Передача</b>: вопрос об оплате",
        message_thread_id=topic.message_thread_id,
        reply_markup=BUTTONS,
        parse_mode="HTML",
    )
    assert (sent.chat.id, sent.message_thread_id, sent.is_topic_message) == (
        GROUP,
        topic.message_thread_id,
        True,
    )
    assert sent.reply_markup == BUTTONS
    assert sent.from_ is not None
    assert (sent.from_.id, sent.from_.is_bot) == (123456, True)
    assert await telegram.pin_chat_message(GROUP, sent.message_id)
    assert await telegram.edit_forum_topic(GROUP, topic.message_thread_id, name="Айгерим (в работе)")
    edited = await telegram.edit_message_reply_markup(GROUP, sent.message_id, None)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    assert await telegram.close_forum_topic(GROUP, topic.message_thread_id)
    assert await telegram.reopen_forum_topic(GROUP, topic.message_thread_id)
    assert await telegram.unpin_chat_message(GROUP, sent.message_id)
    chat = telegram_emulator.world.chats[GROUP]
    assert chat.topics[topic.message_thread_id].name == "Айгерим (в работе)"
    assert chat.pinned == []


async def test_media_by_url_or_file_id(telegram: TelegramClient) -> None:
    topic = await telegram.create_forum_topic(GROUP, "media")
    thread = topic.message_thread_id
    photo = await telegram.send_photo(
        GROUP, "https://files.example/p.jpg", caption="фото", message_thread_id=thread
    )
    doc = await telegram.send_document(GROUP, "https://files.example/price.pdf", message_thread_id=thread)
    voice = await telegram.send_voice(GROUP, "AwACAgIAAxkBAAIB", message_thread_id=thread)
    assert photo.photo is not None
    assert photo.photo[0].file_id == "https://files.example/p.jpg"
    assert photo.caption == "фото"
    assert doc.document is not None
    assert doc.document.file_name == "price.pdf"
    assert voice.voice is not None
    assert voice.voice.file_id == "AwACAgIAAxkBAAIB"


async def test_get_me_and_set_webhook(telegram: TelegramClient, telegram_emulator: TelegramEmulator) -> None:
    me = await telegram.get_me()
    assert (me.id, me.is_bot) == (123456, True)
    assert await telegram.set_webhook("https://desk.example/tg/demo", "s3cret-token")
    assert telegram_emulator.world.bots[BOT_TOKEN].webhook_url == "https://desk.example/tg/demo"
    with pytest.raises(TelegramRejected, match="unallowed characters"):
        await telegram.set_webhook("https://desk.example/tg/demo", "bad secret!")


async def test_429_becomes_rate_limited_with_retry_after(
    telegram: TelegramClient, telegram_emulator: TelegramEmulator
) -> None:
    telegram_emulator.faults.add(
        parse_fault_spec(b'{"mode": "429", "retry_after": 3, "endpoint": "sendMessage"}')
    )
    await telegram.create_forum_topic(GROUP, "not affected: other method")
    with pytest.raises(TelegramRateLimited) as info:
        await telegram.send_message(GROUP, "hi")
    error = info.value
    assert (error.status, error.retry_after, error.transient, error.method) == (429, 3.0, True, "sendMessage")
    assert "retry after 3 s" in str(error)
    await telegram.send_message(GROUP, "hi")


async def test_500_becomes_unavailable(telegram: TelegramClient, telegram_emulator: TelegramEmulator) -> None:
    telegram_emulator.faults.add(parse_fault_spec(b'{"mode": "500", "count": 2}'))
    for _ in range(2):
        with pytest.raises(TelegramUnavailable) as info:
            await telegram.send_message(GROUP, "hi")
        assert (info.value.status, info.value.description) == (500, "Internal Server Error")
    await telegram.send_message(GROUP, "hi")
    assert [status for _, status in telegram_emulator.calls] == [500, 500, 200]


async def test_deleted_topic_raises_topic_not_found_and_a_new_topic_works(
    telegram: TelegramClient, telegram_emulator: TelegramEmulator
) -> None:
    topic = await telegram.create_forum_topic(GROUP, "Клиент")
    telegram_emulator.world.delete_topic(GROUP, topic.message_thread_id)
    with pytest.raises(TopicNotFound) as info:
        await telegram.send_message(GROUP, "ещё сообщение", message_thread_id=topic.message_thread_id)
    assert info.value.description == "Bad Request: message thread not found"
    assert "create a new topic" in str(info.value)
    assert not info.value.transient
    with pytest.raises(TopicNotFound):
        await telegram.close_forum_topic(GROUP, topic.message_thread_id)
    fresh = await telegram.create_forum_topic(GROUP, "Клиент")
    assert fresh.message_thread_id != topic.message_thread_id
    await telegram.send_message(GROUP, "ещё сообщение", message_thread_id=fresh.message_thread_id)


async def test_unknown_thread_is_topic_not_found(telegram: TelegramClient) -> None:
    with pytest.raises(TopicNotFound):
        await telegram.send_message(GROUP, "hi", message_thread_id=999)


@pytest.mark.parametrize(
    ("text", "parse_mode", "description"),
    [
        ("", None, "message text is empty"),
        ("x" * 4097, None, "message is too long"),
        ("цена <3 тысяч", "HTML", "can't parse entities"),
        ("hi", "BBCode", "unsupported parse_mode"),
    ],
)
async def test_bad_messages_are_rejected_with_telegrams_description(
    telegram: TelegramClient, text: str, parse_mode: str | None, description: str
) -> None:
    with pytest.raises(TelegramRejected, match=description) as info:
        await telegram.send_message(GROUP, text, parse_mode=parse_mode)
    assert info.value.status == 400


async def test_repeated_close_is_not_modified(telegram: TelegramClient) -> None:
    topic = await telegram.create_forum_topic(GROUP, "t")
    await telegram.close_forum_topic(GROUP, topic.message_thread_id)
    with pytest.raises(TelegramRejected, match="TOPIC_NOT_MODIFIED"):
        await telegram.close_forum_topic(GROUP, topic.message_thread_id)


async def test_same_reply_markup_is_not_modified(telegram: TelegramClient) -> None:
    sent = await telegram.send_message(GROUP, "hi", reply_markup=BUTTONS)
    with pytest.raises(TelegramRejected, match="message is not modified"):
        await telegram.edit_message_reply_markup(GROUP, sent.message_id, BUTTONS)


async def test_bad_token_and_unknown_chat() -> None:
    emulator = create_telegram_emulator_app(auto_create_chats=False, tokens={BOT_TOKEN})
    transport = httpx.ASGITransport(app=emulator)
    async with TelegramClient(OTHER_BOT_TOKEN, base_url="http://tg", transport=transport) as stranger:
        with pytest.raises(TelegramRejected) as info:
            await stranger.get_me()
        assert (info.value.status, info.value.description) == (401, "Unauthorized")
        assert OTHER_BOT_TOKEN not in str(info.value)
    async with TelegramClient(BOT_TOKEN, base_url="http://tg", transport=transport) as bot:
        with pytest.raises(TelegramRejected, match="chat not found"):
            await bot.send_message(GROUP, "hi")
        emulator.world.add_chat(GROUP, "Мира", is_forum=False)
        with pytest.raises(TelegramRejected, match="not a forum"):
            await bot.create_forum_topic(GROUP, "t")


async def test_connection_error_is_unavailable_and_hides_the_token() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    async with TelegramClient(BOT_TOKEN, transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(TelegramUnavailable) as info:
            await client.send_message(GROUP, "hi")
    assert BOT_TOKEN not in str(info.value)
    assert "***" in str(info.value)


async def test_non_json_error_page_is_classified_by_http_status() -> None:
    def bad_gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>502 Bad Gateway</html>")

    async with TelegramClient(BOT_TOKEN, transport=httpx.MockTransport(bad_gateway)) as client:
        with pytest.raises(TelegramUnavailable, match="non-JSON answer") as info:
            await client.send_message(GROUP, "hi")
    assert info.value.status == 502


async def test_429_without_parameters_has_no_retry_after() -> None:
    def limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"ok": False, "error_code": 429, "description": "Too Many Requests"})

    async with TelegramClient(BOT_TOKEN, transport=httpx.MockTransport(limited)) as client:
        with pytest.raises(TelegramRateLimited) as info:
            await client.send_message(GROUP, "hi")
    assert info.value.retry_after is None


async def test_timeout_against_a_real_server(telegram_emulator: TelegramEmulator) -> None:
    telegram_emulator.faults.add(parse_fault_spec(b'{"mode": "timeout", "seconds": 2}'))
    with serve_in_thread(telegram_emulator) as base_url:
        async with TelegramClient(BOT_TOKEN, base_url=base_url, timeout=0.2) as client:
            with anyio.fail_after(5):
                with pytest.raises(TelegramUnavailable, match="no answer in time") as info:
                    await client.send_message(GROUP, "hi")
            assert info.value.transient
            sent = await client.send_message(GROUP, "hi")
    assert sent.text == "hi"
    assert telegram_emulator.calls == [("sendMessage", 504), ("sendMessage", 200)]
