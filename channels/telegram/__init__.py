"""Telegram Bot API for the managers' forum group: types, the client, an emulator, a manager player.

The emulator and the player are imported from their modules (``channels.telegram.emulator``,
``channels.telegram.player``); they are test and laptop tools, not production code paths.
"""

from __future__ import annotations

from channels.telegram.answers import is_topic_missing
from channels.telegram.client import DEFAULT_TELEGRAM_BASE_URL, TelegramClient
from channels.telegram.types import (
    CallbackQuery,
    Chat,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramResponse,
    Update,
    User,
    parse_update,
)

__all__ = [
    "DEFAULT_TELEGRAM_BASE_URL",
    "CallbackQuery",
    "Chat",
    "ForumTopic",
    "InlineKeyboardButton",
    "InlineKeyboardMarkup",
    "Message",
    "TelegramClient",
    "TelegramResponse",
    "Update",
    "User",
    "is_topic_missing",
    "parse_update",
]
