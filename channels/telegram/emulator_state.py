"""The in-memory world of the Telegram emulator: bots, forum chats, topics, messages, callbacks.

Pure state with the Bot API's rules (which ids exist, what a deleted topic means); no HTTP here.
A rule violation raises :class:`BotApiError` carrying Telegram's own error code and description.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from channels.telegram.types import Chat, InlineKeyboardMarkup, Message, User

__all__ = [
    "DEFAULT_MANAGER",
    "BotApiError",
    "BotState",
    "CallbackRecord",
    "ChatState",
    "StoredFile",
    "StoredMessage",
    "TelegramWorld",
    "Topic",
]

THREAD_NOT_FOUND = "Bad Request: message thread not found"
TOPIC_ID_INVALID = "Bad Request: TOPIC_ID_INVALID"
DEFAULT_TOPIC_COLOR = 7322096
DEFAULT_MANAGER = User(id=1001, is_bot=False, first_name="Manager", username="manager")
_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")


class BotApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": …}``."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        self.code = code
        self.description = description
        self.retry_after = retry_after
        super().__init__(f"{code} {description}")


@dataclass(frozen=True)
class StoredFile:
    """A file a manager uploaded: ``getFile`` by ``file_id``, download by ``file_path`` (same bot)."""

    file_id: str
    file_path: str
    token: str
    data: bytes
    mime_type: str | None = None
    file_name: str | None = None


@dataclass
class StoredMessage:
    message_id: int
    thread_id: int | None
    sender: User
    date: int
    text: str | None = None
    caption: str | None = None
    media_kind: str | None = None
    media_ref: str | None = None
    media_file: StoredFile | None = None
    reply_markup: InlineKeyboardMarkup | None = None
    service: str | None = None


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    closed: bool = False
    deleted: bool = False


@dataclass
class ChatState:
    id: int
    title: str
    is_forum: bool
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    pinned: list[int] = field(default_factory=list)

    def as_chat(self) -> Chat:
        return Chat(id=self.id, type="supergroup", title=self.title, is_forum=self.is_forum or None)

    def live_topic(self, thread_id: int, description: str = THREAD_NOT_FOUND) -> Topic:
        """The topic, unless it does not exist or a manager deleted it."""
        topic = self.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise BotApiError(400, description)
        return topic

    def message(self, message_id: int, description: str) -> StoredMessage:
        stored = self.messages.get(message_id)
        if stored is None or (stored.thread_id is not None and self.topics[stored.thread_id].deleted):
            raise BotApiError(400, description)
        return stored

    def add_message(self, stored_factory: Callable[[int], StoredMessage]) -> StoredMessage:
        stored = stored_factory(self.next_message_id)
        self.next_message_id += 1
        self.messages[stored.message_id] = stored
        return stored

    def to_message(self, stored: StoredMessage) -> Message:
        """The Bot API view of a stored message (media fields are built by the method layer)."""
        return Message(
            message_id=stored.message_id,
            date=stored.date,
            chat=self.as_chat(),
            from_=stored.sender,
            message_thread_id=stored.thread_id,
            is_topic_message=True if stored.thread_id is not None else None,
            text=stored.text,
            caption=stored.caption,
            reply_markup=stored.reply_markup,
        )


@dataclass
class BotState:
    token: str
    user: User
    webhook_url: str | None = None
    secret_token: str | None = None
    next_update_id: int = 1


@dataclass
class CallbackRecord:
    id: str
    token: str
    chat_id: int
    message_id: int
    data: str
    from_id: int
    from_name: str = ""
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False


class TelegramWorld:
    """Every bot, chat and button press the emulator knows about.

    Args:
        tokens: bot tokens to accept; None accepts any well-formed ``<digits>:<secret>`` token.
        auto_create_chats: when True a chat id seen for the first time becomes a forum supergroup;
            when False only chats added with :meth:`add_chat` exist (others: "chat not found").
        clock: time source for message dates.
    """

    def __init__(
        self,
        *,
        tokens: Collection[str] | None = None,
        auto_create_chats: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tokens = None if tokens is None else frozenset(tokens)
        self.auto_create_chats = auto_create_chats
        self.clock = clock
        self.bots: dict[str, BotState] = {}
        self.chats: dict[int, ChatState] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.files: dict[str, StoredFile] = {}

    def now(self) -> int:
        return int(self.clock())

    def bot(self, token: str) -> BotState:
        """The bot with this token (registered on first use); 401 for a bad or unknown token."""
        match = _TOKEN.fullmatch(token)
        if match is None or (self.tokens is not None and token not in self.tokens):
            raise BotApiError(401, "Unauthorized")
        if token not in self.bots:
            bot_id = int(match.group(1))
            user = User(id=bot_id, is_bot=True, first_name=f"Bot {bot_id}", username=f"bot{bot_id}_bot")
            self.bots[token] = BotState(token=token, user=user)
        return self.bots[token]

    def add_bot(self, token: str, first_name: str, username: str | None = None) -> BotState:
        """Register a bot with a display name (otherwise bots are named "Bot <id>" on first use)."""
        bot = self.bot(token)
        bot.user = User(
            id=bot.user.id, is_bot=True, first_name=first_name, username=username or bot.user.username
        )
        return bot

    def add_chat(self, chat_id: int, title: str, *, is_forum: bool = True) -> ChatState:
        """Create (or replace) a chat."""
        self.chats[chat_id] = ChatState(id=chat_id, title=title, is_forum=is_forum)
        return self.chats[chat_id]

    def chat(self, chat_id: object) -> ChatState:
        """The chat for a ``chat_id`` parameter; 400 "chat not found" when unknown."""
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise BotApiError(400, "Bad Request: chat not found")
        if chat_id not in self.chats:
            if not self.auto_create_chats:
                raise BotApiError(400, "Bad Request: chat not found")
            self.add_chat(chat_id, f"Chat {chat_id}")
        return self.chats[chat_id]

    def delete_topic(self, chat_id: int, thread_id: int) -> Topic:
        """What a manager deleting a topic does: the topic and its messages are gone."""
        chat = self.chat(chat_id)
        topic = chat.live_topic(thread_id, TOPIC_ID_INVALID)
        topic.deleted = True
        chat.pinned = [mid for mid in chat.pinned if chat.messages[mid].thread_id != thread_id]
        return topic

    def new_callback(
        self, token: str, chat_id: int, message_id: int, data: str, sender: User
    ) -> CallbackRecord:
        record = CallbackRecord(
            id=f"cbq-{len(self.callbacks) + 1}",
            token=token,
            chat_id=chat_id,
            message_id=message_id,
            data=data,
            from_id=sender.id,
            from_name=sender.full_name,
        )
        self.callbacks[record.id] = record
        return record

    def reset(self) -> None:
        """Forget everything (bots, webhooks, chats, callbacks)."""
        self.bots.clear()
        self.chats.clear()
        self.callbacks.clear()
        self.files.clear()
