"""A local Telegram Bot API emulator (ASGI) for several bots and forum groups.

Bot API: ``POST|GET /bot<token>/<method>`` (JSON, form or query parameters) for getMe, setWebhook,
deleteWebhook, getWebhookInfo, createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic,
sendMessage, sendPhoto, sendDocument, sendVoice, pinChatMessage, unpinChatMessage, getFile,
answerCallbackQuery, editMessageReplyMarkup — with Telegram's error codes and descriptions.

Control API (``/_emulator/…``):
  POST faults (see :mod:`channels.faults`; ``endpoint`` = a method name), GET faults, POST reset,
  POST bots ``{"token", "first_name", "username"?}`` (name a bot), POST chats ``{"chat_id",
  "title", "is_forum"}``, GET chats/{chat_id} (state as JSON),
  DELETE topics/{chat_id}/{thread_id} (a manager deletes a topic), GET transcript/{chat_id}
  (plain text), GET callbacks (button presses and their answers), GET updates (delivered updates),
  POST manager/message ``{"token", "chat_id", "message_thread_id", "text", "from"?, "media"?}``
  (``media``: ``{"kind": "photo"|"document"|"voice", "data_base64", "mime_type"?, "file_name"?}``;
  ``getFile`` then answers its ``file_path``, served at ``GET /file/bot<token>/<file_path>``) and
  POST manager/press ``{"token", "chat_id", "message_id", "data" | "text", "from"?}`` (a manager
  acts: the update is POSTed to the bot's webhook with its secret token header).
Run it with ``python -m channels.telegram.emulator --port 8082``."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
import msgspec

from channels._asgi import (
    Receive,
    Request,
    Response,
    Scope,
    Send,
    json_response,
    read_request,
    send_response,
    serve_lifespan,
    text_response,
    wait_for_disconnect,
)
from channels.faults import Fault, FaultInjector, parse_fault_spec
from channels.serving import emulator_main, run_app
from channels.telegram.emulator_files import Upload, file_download
from channels.telegram.emulator_methods import METHODS
from channels.telegram.emulator_render import render_message
from channels.telegram.emulator_state import DEFAULT_MANAGER, BotApiError, TelegramWorld
from channels.telegram.emulator_updates import DeliveredUpdate, UpdateDispatcher
from channels.telegram.transcript import render_transcript
from channels.telegram.types import User

__all__ = ["TelegramEmulator", "create_telegram_emulator_app", "run_telegram_emulator"]

DEFAULT_EMULATOR_PORT = 8082


class _NewChat(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    chat_id: int
    title: str
    is_forum: bool = True


class _NewBot(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: str
    first_name: str
    username: str | None = None


class _ManagerMessage(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: str
    chat_id: int
    text: str = ""
    message_thread_id: int | None = None
    media: Upload | None = None
    from_: User | None = msgspec.field(default=None, name="from")


class _ManagerPress(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: str
    chat_id: int
    message_id: int
    data: str | None = None
    text: str | None = None
    from_: User | None = msgspec.field(default=None, name="from")


class TelegramEmulator:
    """The emulator's ASGI app; ``world`` (state), ``dispatcher`` and ``faults`` are usable in-process.

    Args:
        tokens: bot tokens to accept; None accepts any ``<digits>:<secret>`` token.
        auto_create_chats: a chat id seen first becomes a forum supergroup (else "chat not found").
        webhook_transport: how to reach webhooks, e.g. ``httpx.ASGITransport(app=desk)``.
        clock: time source for message dates.
    """

    def __init__(
        self,
        *,
        tokens: Collection[str] | None = None,
        auto_create_chats: bool = True,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.world = TelegramWorld(tokens=tokens, auto_create_chats=auto_create_chats, clock=clock)
        self.dispatcher = UpdateDispatcher(self.world, webhook_transport)
        self.faults = FaultInjector()
        self.calls: list[tuple[str, int]] = []
        """(method, HTTP status) of every Bot API call, in order."""

    def transcript(self, chat_id: int) -> str:
        """The manager's view of a group, as plain text."""
        return render_transcript(self.world.chat(chat_id), self.world.callbacks.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive)
        try:
            response = await self._route(request, receive)
        except BotApiError as exc:
            response = _api_error(exc)
        except (msgspec.MsgspecError, ValueError) as exc:
            response = _api_error(BotApiError(400, f"Bad Request: {exc}"))
        await send_response(send, response)

    async def _route(self, request: Request, receive: Receive) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0].startswith("bot"):
            return await self._bot_call(parts[0][3:], parts[1], request, receive)
        if len(parts) >= 3 and parts[0] == "file" and parts[1].startswith("bot") and request.method == "GET":
            return file_download(self.world, parts[1][3:], "/".join(parts[2:]))
        if parts[0] == "_emulator":
            return await self._control(request.method, parts[1:], request)
        if request.path == "/":
            return text_response(__doc__ or "")
        raise BotApiError(404, "Not Found")

    async def _bot_call(self, token: str, method: str, request: Request, receive: Receive) -> Response:
        bot = self.world.bot(token)
        handler = METHODS.get(method)
        if handler is None:
            raise BotApiError(404, "Not Found")
        fault = self.faults.next_fault(method)
        if fault is not None:
            response = await self._fault(fault, receive)
            if response is not None:
                self.calls.append((method, response.status))
                return response
        try:
            result = handler(self.world, bot, _params(request))
        except BotApiError as exc:
            self.calls.append((method, exc.code))
            raise
        self.calls.append((method, 200))
        return json_response({"ok": True, "result": result})

    @staticmethod
    async def _fault(fault: Fault, receive: Receive) -> Response | None:
        if fault.mode == "slow":
            await anyio.sleep(fault.delay)
            return None
        if fault.mode == "timeout":
            await wait_for_disconnect(receive, fault.delay)
            return Response(status=504, body=b"<html>504 Gateway Time-out</html>", content_type="text/html")
        status = fault.status or 500
        if status == 429:
            retry_after = 1.0 if fault.retry_after is None else fault.retry_after
            return _api_error(
                BotApiError(429, f"Too Many Requests: retry after {retry_after:g}", retry_after)
            )
        description = "Internal Server Error" if status >= 500 else "Bad Request: emulated fault"
        return _api_error(BotApiError(status, description))

    async def _control(self, method: str, parts: list[str], request: Request) -> Response:
        route = (method, *parts[:1])
        if route == ("POST", "faults"):
            self.faults.add(parse_fault_spec(request.body))
            return json_response({"ok": True, "pending": self.faults.pending()})
        if route == ("GET", "faults"):
            return json_response(self.faults.pending())
        if route == ("POST", "reset"):
            self.world.reset()
            self.faults.reset()
            self.calls.clear()
            self.dispatcher.delivered.clear()
            return json_response({"ok": True})
        if route == ("POST", "chats"):
            new = msgspec.json.decode(request.body, type=_NewChat)
            chat = self.world.add_chat(new.chat_id, new.title, is_forum=new.is_forum)
            return json_response({"ok": True, "result": chat.as_chat()}, status=201)
        if route == ("POST", "bots"):
            new_bot = msgspec.json.decode(request.body, type=_NewBot)
            bot = self.world.add_bot(new_bot.token, new_bot.first_name, new_bot.username)
            return json_response({"ok": True, "result": bot.user}, status=201)
        if route == ("GET", "chats") and len(parts) == 2:
            return json_response(self._chat_state(_int_part(parts[1])))
        if route == ("DELETE", "topics") and len(parts) == 3:
            topic = self.world.delete_topic(_int_part(parts[1]), _int_part(parts[2]))
            return json_response(
                {"ok": True, "result": {"message_thread_id": topic.thread_id, "deleted": True}}
            )
        if route == ("GET", "transcript") and len(parts) == 2:
            return text_response(self.transcript(_int_part(parts[1])))
        if route == ("GET", "callbacks"):
            return json_response([vars(record) for record in self.world.callbacks.values()])
        if route == ("GET", "updates"):
            return json_response(self.dispatcher.delivered)
        if route == ("POST", "manager") and len(parts) == 2:
            return json_response({"ok": True, "result": await self._manager_acts(parts[1], request.body)})
        raise BotApiError(404, f"Not Found: no control route {method} /_emulator/{'/'.join(parts)}")

    async def _manager_acts(self, action: str, body: bytes) -> DeliveredUpdate:
        if action == "message":
            said = msgspec.json.decode(body, type=_ManagerMessage)
            sender = said.from_ or DEFAULT_MANAGER
            return await self.dispatcher.manager_message(
                said.token, said.chat_id, said.message_thread_id, said.text, sender, media=said.media
            )
        if action == "press":
            press = msgspec.json.decode(body, type=_ManagerPress)
            sender = press.from_ or DEFAULT_MANAGER
            return await self.dispatcher.press_button(
                press.token, press.chat_id, press.message_id, data=press.data, text=press.text, sender=sender
            )
        raise BotApiError(404, f"Not Found: manager action {action!r}; use 'message' or 'press'")

    def _chat_state(self, chat_id: int) -> dict[str, Any]:
        chat = self.world.chat(chat_id)
        return {
            "chat": chat.as_chat(),
            "topics": [vars(topic) for topic in chat.topics.values()],
            "messages": [render_message(chat, stored) for stored in chat.messages.values()],
            "pinned": chat.pinned,
        }


def _int_part(part: str) -> int:
    if not part.lstrip("-").isdigit():
        raise BotApiError(400, f"Bad Request: {part!r} is not an integer id")
    return int(part)


def _params(request: Request) -> dict[str, Any]:
    """Bot API parameters from the query string, a form body or a JSON body (later wins)."""
    params: dict[str, Any] = dict(request.query)
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    elif request.body.strip():
        decoded = msgspec.json.decode(request.body)
        if not isinstance(decoded, dict):
            raise BotApiError(400, "Bad Request: the request body must be a JSON object")
        params.update(decoded)
    return params


def _api_error(exc: BotApiError) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return json_response(body, status=exc.code)


def create_telegram_emulator_app(
    *,
    tokens: Collection[str] | None = None,
    auto_create_chats: bool = True,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> TelegramEmulator:
    """A fresh emulator (an ASGI app with in-memory state)."""
    return TelegramEmulator(
        tokens=tokens, auto_create_chats=auto_create_chats, webhook_transport=webhook_transport, clock=clock
    )


def run_telegram_emulator(host: str = "127.0.0.1", port: int = DEFAULT_EMULATOR_PORT) -> None:
    """Serve a fresh emulator with uvicorn until interrupted."""
    run_app(create_telegram_emulator_app(), host=host, port=port)


def main(argv: list[str] | None = None) -> None:
    """``python -m channels.telegram.emulator [--host H] [--port P]``."""
    emulator_main(
        "Local Telegram Bot API emulator", create_telegram_emulator_app, DEFAULT_EMULATOR_PORT, argv
    )


if __name__ == "__main__":
    main()
