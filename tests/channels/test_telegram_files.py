"""``getFile`` and the file download, in the client and the emulator (files belong to one bot)."""

from __future__ import annotations

import httpx
import pytest

from channels.errors import TelegramRejected
from channels.telegram.client import TelegramClient
from channels.telegram.emulator import TelegramEmulator
from channels.telegram.emulator_files import Upload, upload
from tests.channels.support import BOT_TOKEN, OTHER_BOT_TOKEN

pytestmark = pytest.mark.anyio

DATA = bytes(range(256)) * 40


async def test_get_file_then_download_returns_the_uploaded_bytes(
    telegram: TelegramClient, telegram_emulator: TelegramEmulator
) -> None:
    stored = upload(telegram_emulator.world, BOT_TOKEN, Upload(kind="photo", data=DATA))
    found = await telegram.get_file(stored.file_id)
    assert (found.file_id, found.file_size) == (stored.file_id, len(DATA))
    assert found.file_path is not None
    assert await telegram.download_file(found.file_path, max_bytes=len(DATA)) == DATA
    with pytest.raises(TelegramRejected, match="over"):
        await telegram.download_file(found.file_path, max_bytes=len(DATA) - 1)
    with pytest.raises(TelegramRejected, match="invalid file_id"):
        await telegram.get_file("photo-404-nothing")


async def test_a_file_of_one_bot_is_invisible_to_another(telegram_emulator: TelegramEmulator) -> None:
    stored = upload(
        telegram_emulator.world, BOT_TOKEN, Upload(kind="document", data=b"pdf", file_name="a.pdf")
    )
    transport = httpx.ASGITransport(app=telegram_emulator)
    async with TelegramClient(OTHER_BOT_TOKEN, base_url="http://telegram.test", transport=transport) as other:
        with pytest.raises(TelegramRejected, match="invalid file_id"):
            await other.get_file(stored.file_id)
        with pytest.raises(TelegramRejected, match="404"):
            await other.download_file(stored.file_path, max_bytes=100)
