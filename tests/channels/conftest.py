from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from channels._asgi import Receive, Scope, Send, json_response, read_request, send_response
from channels.chatflow.emulator import ChatFlowEmulator, create_chatflow_emulator_app
from channels.serving import serve_in_thread
from channels.telegram.client import TelegramClient
from channels.telegram.emulator import TelegramEmulator, create_telegram_emulator_app
from channels.telegram.types import Update, parse_update

BOT_TOKEN = "123456:AAH-test_token"
OTHER_BOT_TOKEN = "654321:BBH-other_token"
GROUP = -1001234567890


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def chatflow_emulator() -> ChatFlowEmulator:
    return create_chatflow_emulator_app(tokens={"cf-token"})


@pytest.fixture
def chatflow_server(chatflow_emulator: ChatFlowEmulator) -> Iterator[str]:
    """The emulator behind a real uvicorn server on an ephemeral port; yields the base URL."""
    with serve_in_thread(chatflow_emulator) as base_url:
        yield base_url


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk(secret="s3cret-token")


@pytest.fixture
def telegram_emulator(desk: FakeDesk) -> TelegramEmulator:
    return create_telegram_emulator_app(webhook_transport=httpx.ASGITransport(app=desk))


@pytest.fixture
async def telegram(telegram_emulator: TelegramEmulator) -> AsyncIterator[TelegramClient]:
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with TelegramClient(BOT_TOKEN, base_url="http://telegram.test", transport=transport) as client:
        yield client


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
