"""The Bot API methods of the Telegram emulator, with Telegram's own error descriptions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from channels.telegram.emulator_files import get_file
from channels.telegram.emulator_render import render_message
from channels.telegram.emulator_state import (
    DEFAULT_TOPIC_COLOR,
    TOPIC_ID_INVALID,
    BotApiError,
    BotState,
    ChatState,
    StoredMessage,
    TelegramWorld,
    Topic,
)
from channels.telegram.types import (
    CALLBACK_DATA_MAX_BYTES,
    ForumTopic,
    InlineKeyboardMarkup,
    WebhookInfo,
)

__all__ = ["METHODS", "MethodHandler", "render_message"]

MAX_TEXT_CHARS = 4096
MAX_CAPTION_CHARS = 1024
PARSE_MODES = frozenset({"HTML", "Markdown", "MarkdownV2"})
_HTML_TAG = re.compile(
    r"</?(b|strong|i|em|u|ins|s|strike|del|a|code|pre|tg-spoiler|span|blockquote)(\s[^<>]*)?>"
)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

MethodHandler = Callable[[TelegramWorld, BotState, dict[str, Any]], object]


def _int(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BotApiError(400, f"Bad Request: {name} is {'empty' if value is None else 'invalid'}")


def _opt_int(params: dict[str, Any], name: str) -> int | None:
    return None if params.get(name) in (None, "") else _int(params, name)


def _str(params: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise BotApiError(400, f"Bad Request: {name} is empty")
        return None
    if not isinstance(value, str):
        raise BotApiError(400, f"Bad Request: {name} must be a string")
    return value


def _markup(params: dict[str, Any]) -> InlineKeyboardMarkup | None:
    raw = params.get("reply_markup")
    if raw is None:
        return None
    try:
        if isinstance(raw, str):
            raw = msgspec.json.decode(raw)
        rows = raw["inline_keyboard"]
        for row in rows:
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > CALLBACK_DATA_MAX_BYTES:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return msgspec.convert(raw, InlineKeyboardMarkup)
    except (msgspec.MsgspecError, KeyError, TypeError, AttributeError):
        raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") from None


def _check_text(text: str, parse_mode: str | None, limit: int, what: str) -> None:
    if len(text) > limit:
        raise BotApiError(400, f"Bad Request: {what} is too long")
    if parse_mode is not None and parse_mode not in PARSE_MODES:
        raise BotApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
    if parse_mode == "HTML":
        stray = _HTML_TAG.sub("", text)
        if "<" in stray:
            at = stray.index("<")
            raise BotApiError(
                400, f"Bad Request: can't parse entities: Unsupported start tag {stray[at : at + 12]!r}"
            )


def _thread(chat: ChatState, params: dict[str, Any]) -> int | None:
    thread_id = _opt_int(params, "message_thread_id")
    if thread_id is not None:
        chat.live_topic(thread_id)
    return thread_id


def get_me(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    return bot.user


def set_webhook(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    secret = _str(params, "secret_token", required=False)
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
    bot.webhook_url = _str(params, "url", required=False)
    bot.secret_token = secret
    return True


def delete_webhook(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    bot.webhook_url = bot.secret_token = None
    return True


def get_webhook_info(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    return WebhookInfo(url=bot.webhook_url or "")


def create_forum_topic(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    chat = world.chat(params.get("chat_id"))
    if not chat.is_forum:
        raise BotApiError(400, "Bad Request: the chat is not a forum")
    name = _str(params, "name") or ""
    if len(name) > 128:
        raise BotApiError(400, "Bad Request: TOPIC_NAME_INVALID")
    color = _opt_int(params, "icon_color") or DEFAULT_TOPIC_COLOR

    def created(message_id: int) -> StoredMessage:
        chat.topics[message_id] = Topic(thread_id=message_id, name=name, icon_color=color)
        return StoredMessage(message_id, message_id, bot.user, world.now(), service="forum_topic_created")

    stored = chat.add_message(created)
    return ForumTopic(message_thread_id=stored.message_id, name=name, icon_color=color)


def edit_forum_topic(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    chat = world.chat(params.get("chat_id"))
    topic = chat.live_topic(_int(params, "message_thread_id"), TOPIC_ID_INVALID)
    name = _str(params, "name", required=False)
    if name is None or name == topic.name:
        raise BotApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
    topic.name = name
    return True


def _set_closed(closed: bool) -> MethodHandler:
    def handler(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
        chat = world.chat(params.get("chat_id"))
        topic = chat.live_topic(_int(params, "message_thread_id"), TOPIC_ID_INVALID)
        if topic.closed == closed:
            raise BotApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = closed
        return True

    return handler


def send_message(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    chat = world.chat(params.get("chat_id"))
    text = _str(params, "text", required=False)
    if text is None or not text.strip():
        raise BotApiError(400, "Bad Request: message text is empty")
    _check_text(text, _str(params, "parse_mode", required=False), MAX_TEXT_CHARS, "message")
    thread_id, markup = _thread(chat, params), _markup(params)
    stored = chat.add_message(
        lambda mid: StoredMessage(mid, thread_id, bot.user, world.now(), text=text, reply_markup=markup)
    )
    return render_message(chat, stored)


def _send_file(kind: str, field: str) -> MethodHandler:
    def handler(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
        chat = world.chat(params.get("chat_id"))
        ref = params.get(field)
        if not isinstance(ref, str) or not ref:
            hint = "the emulator takes URLs or file_ids, not uploads"
            raise BotApiError(400, f"Bad Request: there is no {field} in the request ({hint})")
        caption = _str(params, "caption", required=False)
        _check_text(caption or "", _str(params, "parse_mode", required=False), MAX_CAPTION_CHARS, "caption")
        thread_id, markup = _thread(chat, params), _markup(params)
        stored = chat.add_message(
            lambda mid: StoredMessage(
                mid,
                thread_id,
                bot.user,
                world.now(),
                caption=caption,
                media_kind=kind,
                media_ref=ref,
                reply_markup=markup,
            )
        )
        return render_message(chat, stored)

    return handler


def pin_chat_message(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    chat = world.chat(params.get("chat_id"))
    message_id = _int(params, "message_id")
    chat.message(message_id, "Bad Request: message to pin not found")
    if message_id in chat.pinned:
        chat.pinned.remove(message_id)
    chat.pinned.append(message_id)
    return True


def unpin_chat_message(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    chat = world.chat(params.get("chat_id"))
    message_id = _opt_int(params, "message_id")
    if message_id is None:
        if chat.pinned:
            chat.pinned.pop()
    elif message_id in chat.pinned:
        chat.pinned.remove(message_id)
    else:
        chat.message(message_id, "Bad Request: message to unpin not found")
    return True


def answer_callback_query(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    record = world.callbacks.get(_str(params, "callback_query_id") or "")
    if record is None or record.token != bot.token or record.answered:
        raise BotApiError(
            400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
    record.answered = True
    record.answer_text = _str(params, "text", required=False)
    record.show_alert = params.get("show_alert") in (True, "true", "True", "1")
    return True


def edit_message_reply_markup(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    chat = world.chat(params.get("chat_id"))
    stored = chat.message(_int(params, "message_id"), "Bad Request: message to edit not found")
    if stored.sender.id != bot.user.id:
        raise BotApiError(400, "Bad Request: message can't be edited")
    markup = _markup(params)
    if markup == stored.reply_markup:
        raise BotApiError(400, NOT_MODIFIED)
    stored.reply_markup = markup
    return render_message(chat, stored)


METHODS: dict[str, MethodHandler] = {
    "getMe": get_me,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "createForumTopic": create_forum_topic,
    "editForumTopic": edit_forum_topic,
    "closeForumTopic": _set_closed(True),
    "reopenForumTopic": _set_closed(False),
    "sendMessage": send_message,
    "sendPhoto": _send_file("photo", "photo"),
    "sendDocument": _send_file("document", "document"),
    "sendVoice": _send_file("voice", "voice"),
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
    "editMessageReplyMarkup": edit_message_reply_markup,
}
"""Bot API method name (case-insensitive in Telegram; exact here) -> handler."""
