from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels.chatflow.emulator import ChatFlowEmulator, create_chatflow_emulator_app
from channels.serving import serve_in_thread


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
