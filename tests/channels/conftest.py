from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from channels.chatflow.emulator import ChatFlowEmulator, create_chatflow_emulator_app
from channels.serving import serve_in_thread
from channels.telegram.client import TelegramClient
from channels.telegram.emulator import TelegramEmulator, create_telegram_emulator_app
from tests.channels.support import BOT_TOKEN, FakeDesk


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


@pytest.fixture(params=["in-process", "live-server"])
async def telegram(
    request: pytest.FixtureRequest, telegram_emulator: TelegramEmulator
) -> AsyncIterator[TelegramClient]:
    """The same client contract runs in-process (ASGITransport) and over a real socket (uvicorn)."""
    if request.param == "in-process":
        transport = httpx.ASGITransport(app=telegram_emulator)
        async with TelegramClient(BOT_TOKEN, base_url="http://telegram.test", transport=transport) as client:
            yield client
        return
    with serve_in_thread(telegram_emulator) as base_url:
        async with TelegramClient(BOT_TOKEN, base_url=base_url) as client:
            yield client
