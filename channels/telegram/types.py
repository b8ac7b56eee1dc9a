"""Telegram Bot API objects used by the hand-over desk, as msgspec Structs.

Decoding ignores unknown keys (Telegram adds fields over time) but is strict on types. Fields are
the subset Truffles reads; ``from`` is spelled ``from_`` in Python. Encoding omits ``None`` fields,
so the same Structs build request bodies (``reply_markup``) and the emulator's answers.
"""

from __future__ import annotations

import re
from typing import Generic, TypeVar

import msgspec

from channels.errors import ChannelPayloadError

__all__ = [
    "CALLBACK_DATA_MAX_BYTES",
    "CallbackQuery",
    "Chat",
    "Document",
    "File",
    "ForumTopic",
    "ForumTopicCreated",
    "InlineKeyboardButton",
    "InlineKeyboardMarkup",
    "Message",
    "PhotoSize",
    "ResponseParameters",
    "TelegramResponse",
    "Update",
    "User",
    "Voice",
    "WebhookInfo",
    "parse_update",
]

CALLBACK_DATA_MAX_BYTES = 64
T = TypeVar("T")


class _TgObject(msgspec.Struct, kw_only=True, omit_defaults=True, frozen=True):
    """Base of every Bot API object: keyword-only, ``None`` fields left out when encoding."""


class User(_TgObject, frozen=True):
    id: int
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


class Chat(_TgObject, frozen=True):
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    is_forum: bool | None = None


class InlineKeyboardButton(_TgObject, frozen=True):
    """A button under a message; ``callback_data`` is at most 64 bytes of UTF-8."""

    text: str
    callback_data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if self.callback_data is not None and len(self.callback_data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(
                f"callback_data of button {self.text!r} is {len(self.callback_data.encode())} bytes; "
                f"Telegram allows {CALLBACK_DATA_MAX_BYTES}: put an id in it, not the data"
            )


class InlineKeyboardMarkup(_TgObject, frozen=True):
    inline_keyboard: list[list[InlineKeyboardButton]]

    def buttons(self) -> list[InlineKeyboardButton]:
        """All buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]


class PhotoSize(_TgObject, frozen=True):
    file_id: str
    file_unique_id: str
    width: int
    height: int
    file_size: int | None = None


class Document(_TgObject, frozen=True):
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class Voice(_TgObject, frozen=True):
    file_id: str
    file_unique_id: str
    duration: int
    mime_type: str | None = None
    file_size: int | None = None


class File(_TgObject, frozen=True):
    """The result of ``getFile``: download it from ``/file/bot<token>/<file_path>``."""

    file_id: str
    file_unique_id: str
    file_size: int | None = None
    file_path: str | None = None


class ForumTopicCreated(_TgObject, frozen=True):
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None


class ForumTopic(_TgObject, frozen=True):
    """The result of ``createForumTopic``."""

    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None


class Message(_TgObject, frozen=True):
    message_id: int
    date: int
    chat: Chat
    from_: User | None = msgspec.field(default=None, name="from")
    message_thread_id: int | None = None
    is_topic_message: bool | None = None
    text: str | None = None
    caption: str | None = None
    photo: list[PhotoSize] | None = None
    document: Document | None = None
    voice: Voice | None = None
    reply_markup: InlineKeyboardMarkup | None = None
    reply_to_message: Message | None = None
    forum_topic_created: ForumTopicCreated | None = None


class CallbackQuery(_TgObject, frozen=True):
    id: str
    from_: User = msgspec.field(name="from")
    chat_instance: str
    message: Message | None = None
    data: str | None = None


class Update(_TgObject, frozen=True):
    update_id: int
    message: Message | None = None
    edited_message: Message | None = None
    callback_query: CallbackQuery | None = None


class ResponseParameters(_TgObject, frozen=True):
    retry_after: float | None = None
    migrate_to_chat_id: int | None = None


class WebhookInfo(_TgObject, frozen=True):
    url: str
    has_custom_certificate: bool = False
    pending_update_count: int = 0


class TelegramResponse(_TgObject, Generic[T], frozen=True):
    """The ``{"ok": …}`` envelope of every Bot API answer."""

    ok: bool
    result: T | None = None
    error_code: int | None = None
    description: str | None = None
    parameters: ResponseParameters | None = None


_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
"""A ``\\u0000`` escape (not an escaped backslash before ``u0000``): NUL is the one character PostgreSQL
refuses in text and JSONB, and JSON can carry it only escaped, so it is dropped before decoding."""


def parse_update(data: bytes) -> Update:
    """Decode a webhook body into an :class:`Update`.

    Raises:
        ChannelPayloadError: naming the JSON path of the bad field (e.g. ``$.message.chat.id``).
    """
    try:
        return msgspec.json.decode(_NUL_ESCAPE.sub(rb"\1", data), type=Update)
    except msgspec.ValidationError as exc:
        field = str(exc).rpartition(" - at `")[2].rstrip("`") if " - at `" in str(exc) else "$"
        raise ChannelPayloadError(field, "a Telegram Update", str(exc), source="telegram update") from exc
    except msgspec.DecodeError as exc:
        raise ChannelPayloadError(
            "$", "a JSON object", f"invalid JSON ({exc})", source="telegram update"
        ) from exc
    except RecursionError:  # msgspec walks unknown fields too: deep nesting anywhere ends here
        raise ChannelPayloadError(
            "$", "a JSON object of ordinary depth", "JSON nested too deeply", source="telegram update"
        ) from None
