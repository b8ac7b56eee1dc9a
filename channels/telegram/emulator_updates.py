"""What managers do in the emulated group, turned into Updates POSTed to the bot's webhook.

Telegram sends each update to the URL given to ``setWebhook`` with the header
``X-Telegram-Bot-Api-Secret-Token: <secret_token>``; so does :class:`UpdateDispatcher`.
"""

from __future__ import annotations

import httpx
import msgspec

from channels.errors import snippet
from channels.telegram.emulator_files import Upload, upload
from channels.telegram.emulator_render import render_message
from channels.telegram.emulator_state import (
    DEFAULT_MANAGER,
    BotApiError,
    BotState,
    StoredMessage,
    TelegramWorld,
)
from channels.telegram.types import CallbackQuery, Update, User

__all__ = ["SECRET_TOKEN_HEADER", "DeliveredUpdate", "UpdateDispatcher"]

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_TIMEOUT_SECONDS = 30.0


class DeliveredUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """An update the emulator sent, and what the webhook answered (``status`` None: unreachable)."""

    token_id: int
    update: Update
    webhook_url: str
    status: int | None
    body: str


class UpdateDispatcher:
    """Builds manager updates and delivers them.

    Args:
        world: the emulator's state.
        transport: how to reach webhooks (e.g. ``httpx.ASGITransport(app=desk_app)``); None = network.
    """

    def __init__(self, world: TelegramWorld, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.world = world
        self.transport = transport
        self.delivered: list[DeliveredUpdate] = []

    async def manager_message(
        self,
        token: str,
        chat_id: int,
        thread_id: int | None,
        text: str,
        sender: User = DEFAULT_MANAGER,
        *,
        media: Upload | None = None,
    ) -> DeliveredUpdate:
        """A manager writes ``text`` in a topic (or the General topic when ``thread_id`` is None).

        With ``media`` the manager sends a photo, document or voice note and ``text`` is its caption.
        """
        bot = self._webhook_bot(token)
        chat = self.world.chat(chat_id)
        if thread_id is not None:
            chat.live_topic(thread_id)
        if media is None and not text.strip():
            raise BotApiError(400, "Bad Request: a manager message needs text")
        file = upload(self.world, token, media) if media is not None else None

        def build(mid: int) -> StoredMessage:
            if file is None or media is None:
                return StoredMessage(mid, thread_id, sender, self.world.now(), text=text)
            return StoredMessage(mid, thread_id, sender, self.world.now(), caption=text or None,
                                 media_kind=media.kind, media_ref=file.file_id, media_file=file)  # fmt: skip

        stored = chat.add_message(build)
        update = Update(update_id=self._next_update_id(bot), message=render_message(chat, stored))
        return await self._deliver(bot, update)

    async def press_button(
        self,
        token: str,
        chat_id: int,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
        sender: User = DEFAULT_MANAGER,
    ) -> DeliveredUpdate:
        """A manager presses the inline button with this ``callback_data`` (or this label)."""
        bot = self._webhook_bot(token)
        chat = self.world.chat(chat_id)
        stored = chat.message(message_id, f"Bad Request: message {message_id} not found in chat {chat_id}")
        buttons = stored.reply_markup.buttons() if stored.reply_markup else []
        chosen = next(
            (b for b in buttons if (data is not None and b.callback_data == data) or b.text == text), None
        )
        if chosen is None or chosen.callback_data is None:
            offered = [(b.text, b.callback_data) for b in buttons] or "no buttons"
            wanted = data or text
            raise BotApiError(
                400, f"Bad Request: no callback button {wanted!r} on message {message_id}: {offered}"
            )
        record = self.world.new_callback(token, chat.id, message_id, chosen.callback_data, sender)
        query = CallbackQuery(
            id=record.id,
            from_=sender,
            chat_instance=str(chat.id),
            message=render_message(chat, stored),
            data=chosen.callback_data,
        )
        return await self._deliver(bot, Update(update_id=self._next_update_id(bot), callback_query=query))

    def _webhook_bot(self, token: str) -> BotState:
        bot = self.world.bot(token)
        if not bot.webhook_url:
            raise BotApiError(
                409, f"Conflict: bot {bot.user.id} has no webhook; the desk must call setWebhook first"
            )
        return bot

    @staticmethod
    def _next_update_id(bot: BotState) -> int:
        bot.next_update_id += 1
        return bot.next_update_id - 1

    async def _deliver(self, bot: BotState, update: Update) -> DeliveredUpdate:
        url = bot.webhook_url or ""
        headers = {SECRET_TOKEN_HEADER: bot.secret_token} if bot.secret_token else {}
        headers["content-type"] = "application/json"
        status: int | None
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=WEBHOOK_TIMEOUT_SECONDS) as http:
                response = await http.post(url, content=msgspec.json.encode(update), headers=headers)
            status, body = response.status_code, snippet(response.content)
        except httpx.HTTPError as exc:
            status, body = None, f"{type(exc).__name__}: {exc}"
        delivered = DeliveredUpdate(
            token_id=bot.user.id, update=update, webhook_url=url, status=status, body=body
        )
        self.delivered.append(delivered)
        return delivered
