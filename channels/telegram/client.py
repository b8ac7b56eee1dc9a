"""Async client for the Telegram Bot API methods the hand-over desk uses.

One client per bot (the token is a constructor argument, so a tenant's desk can only talk through
its own bot). Failures become typed errors: ``error_code`` 429 -> :class:`TelegramRateLimited`
(``parameters.retry_after``), 5xx/timeout/connection -> :class:`TelegramUnavailable`, a deleted or
unknown forum topic -> :class:`TopicNotFound` (recreate it), other 4xx -> :class:`TelegramRejected`.
The client never retries.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import msgspec

from channels.errors import (
    TelegramUnavailable,
    snippet,
)
from channels.telegram.answers import decode_answer, where_of
from channels.telegram.files import fetch_file
from channels.telegram.types import File, ForumTopic, InlineKeyboardMarkup, Message, User

__all__ = ["DEFAULT_TELEGRAM_BASE_URL", "DEFAULT_TIMEOUT_SECONDS", "TelegramClient"]

DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org"
DEFAULT_TIMEOUT_SECONDS = 10.0
T = TypeVar("T")
_JSON_HEADERS = {"content-type": "application/json"}


class TelegramClient:
    """One bot's Bot API client.

    Args:
        token: the bot token (callers read it from the environment).
        base_url: API root; point it at the local emulator in tests.
        timeout: seconds per call.
        transport: an httpx transport (e.g. ``httpx.ASGITransport(app=emulator)``) for tests.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_TELEGRAM_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError("Telegram bot token is empty: set it from the tenant's settings (environment)")
        self._token = token
        self._file_base = f"{base_url.rstrip('/')}/file/bot{token}/"
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/bot{token}/", transport=transport, timeout=timeout
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    # --- methods -------------------------------------------------------------------------------

    async def get_me(self) -> User:
        """The bot's own user."""
        return await self.call("getMe", {}, User)

    async def set_webhook(
        self, url: str, secret_token: str, *, allowed_updates: list[str] | None = None
    ) -> bool:
        """Register the webhook; Telegram then sends ``X-Telegram-Bot-Api-Secret-Token: secret_token``."""
        params = {"url": url, "secret_token": secret_token, "allowed_updates": allowed_updates}
        return await self.call("setWebhook", params, bool)

    async def create_forum_topic(
        self, chat_id: int | str, name: str, *, icon_color: int | None = None
    ) -> ForumTopic:
        """Create a topic in a forum supergroup (``name`` is 1–128 characters)."""
        return await self.call(
            "createForumTopic", {"chat_id": chat_id, "name": name, "icon_color": icon_color}, ForumTopic
        )

    async def edit_forum_topic(
        self, chat_id: int | str, message_thread_id: int, *, name: str | None = None
    ) -> bool:
        """Rename a topic."""
        params = {"chat_id": chat_id, "message_thread_id": message_thread_id, "name": name}
        return await self.call("editForumTopic", params, bool)

    async def close_forum_topic(self, chat_id: int | str, message_thread_id: int) -> bool:
        """Close a topic (it stays visible; reopen it for the next hand-over)."""
        return await self.call(
            "closeForumTopic", {"chat_id": chat_id, "message_thread_id": message_thread_id}, bool
        )

    async def reopen_forum_topic(self, chat_id: int | str, message_thread_id: int) -> bool:
        """Reopen a closed topic."""
        return await self.call(
            "reopenForumTopic", {"chat_id": chat_id, "message_thread_id": message_thread_id}, bool
        )

    async def send_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        message_thread_id: int | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        parse_mode: str | None = None,
        disable_notification: bool | None = None,
    ) -> Message:
        """Send a text message, into a topic when ``message_thread_id`` is given."""
        params = {
            "chat_id": chat_id,
            "text": text,
            "message_thread_id": message_thread_id,
            "reply_markup": reply_markup,
            "parse_mode": parse_mode,
            "disable_notification": disable_notification,
        }
        return await self.call("sendMessage", params, Message)

    async def send_photo(
        self,
        chat_id: int | str,
        photo: str,
        *,
        caption: str | None = None,
        message_thread_id: int | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        parse_mode: str | None = None,
    ) -> Message:
        """Send a photo by public URL or ``file_id``."""
        return await self._send_file(
            "sendPhoto", "photo", chat_id, photo, caption, message_thread_id, reply_markup, parse_mode
        )

    async def send_document(
        self,
        chat_id: int | str,
        document: str,
        *,
        caption: str | None = None,
        message_thread_id: int | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        parse_mode: str | None = None,
    ) -> Message:
        """Send a document by public URL or ``file_id``."""
        return await self._send_file(
            "sendDocument",
            "document",
            chat_id,
            document,
            caption,
            message_thread_id,
            reply_markup,
            parse_mode,
        )

    async def send_voice(
        self,
        chat_id: int | str,
        voice: str,
        *,
        caption: str | None = None,
        message_thread_id: int | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        parse_mode: str | None = None,
    ) -> Message:
        """Send a voice note (OGG/Opus) by public URL or ``file_id``."""
        return await self._send_file(
            "sendVoice", "voice", chat_id, voice, caption, message_thread_id, reply_markup, parse_mode
        )

    async def get_file(self, file_id: str) -> File:
        """Prepare a file for download: its ``file_path`` (valid for at least an hour) and size."""
        return await self.call("getFile", {"file_id": file_id}, File)

    async def download_file(self, file_path: str, *, max_bytes: int) -> bytes:
        """The bytes of a file from :meth:`get_file` (``/file/bot<token>/<file_path>``), capped."""
        return await fetch_file(self._http, self._file_base + file_path, file_path, max_bytes, self._scrub)

    async def pin_chat_message(
        self, chat_id: int | str, message_id: int, *, disable_notification: bool = True
    ) -> bool:
        """Pin a message (in a forum, it is pinned in its topic)."""
        params = {"chat_id": chat_id, "message_id": message_id, "disable_notification": disable_notification}
        return await self.call("pinChatMessage", params, bool)

    async def unpin_chat_message(self, chat_id: int | str, message_id: int | None = None) -> bool:
        """Unpin a message (the most recent pinned one when ``message_id`` is None)."""
        return await self.call("unpinChatMessage", {"chat_id": chat_id, "message_id": message_id}, bool)

    async def answer_callback_query(
        self, callback_query_id: str, *, text: str | None = None, show_alert: bool | None = None
    ) -> bool:
        """Acknowledge a button press (stops the spinner; ``text`` shows a toast or an alert)."""
        params = {"callback_query_id": callback_query_id, "text": text, "show_alert": show_alert}
        return await self.call("answerCallbackQuery", params, bool)

    async def edit_message_reply_markup(
        self, chat_id: int | str, message_id: int, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message | bool:
        """Replace (or, with None, remove) the buttons under a message."""
        params = {"chat_id": chat_id, "message_id": message_id, "reply_markup": reply_markup}
        return await self.call("editMessageReplyMarkup", params, Message | bool)  # type: ignore[arg-type]

    # --- plumbing ------------------------------------------------------------------------------

    async def _send_file(
        self,
        method: str,
        field: str,
        chat_id: int | str,
        file: str,
        caption: str | None,
        message_thread_id: int | None,
        reply_markup: InlineKeyboardMarkup | None,
        parse_mode: str | None,
    ) -> Message:
        params = {
            "chat_id": chat_id,
            field: file,
            "caption": caption,
            "message_thread_id": message_thread_id,
            "reply_markup": reply_markup,
            "parse_mode": parse_mode,
        }
        return await self.call(method, params, Message)

    async def call(self, method: str, params: dict[str, Any], result_type: type[T]) -> T:
        """Call any Bot API method; ``None`` parameters are left out. Raises a ``TelegramError``."""
        body = msgspec.json.encode({key: value for key, value in params.items() if value is not None})
        where = where_of(method, params)
        try:
            response = await self._http.post(
                method, content=body, headers={"content-type": "application/json"}
            )
        except httpx.TimeoutException as exc:
            raise TelegramUnavailable(
                f"{where}: no answer in time ({type(exc).__name__}); transient, retry with backoff",
                method=method,
            ) from exc
        except httpx.TransportError as exc:
            raise TelegramUnavailable(
                f"{where}: cannot reach Telegram ({type(exc).__name__}: {self._scrub(str(exc))}); transient",
                method=method,
            ) from exc
        return decode_answer(where, method, response, result_type, self._scrub(snippet(response.content)))

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")
