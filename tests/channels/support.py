"""Shared test helpers for the channels tests."""

from __future__ import annotations

from channels._asgi import Receive, Scope, Send, json_response, read_request, send_response
from channels.telegram.types import Update, parse_update

BOT_TOKEN = "123456:AAH-test_token"
OTHER_BOT_TOKEN = "654321:BBH-other_token"
GROUP = -1001234567890


class FakeDesk:
    """A stand-in for the hand-over desk's webhook: checks the secret header, keeps the updates."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.updates: list[Update] = []
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive)
        if request.headers.get("x-telegram-bot-api-secret-token") != self.secret:
            self.refused += 1
            await send_response(send, json_response({"error": "bad secret"}, status=403))
            return
        self.updates.append(parse_update(request.body))
        await send_response(send, json_response({"ok": True}))
