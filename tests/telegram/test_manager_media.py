"""A manager's photo, voice note and document in the topic reach WhatsApp as signed media URLs.

Through both emulators: the Telegram emulator holds the uploaded bytes (``getFile`` + download), the
desk stores them, the outbox calls ChatFlow's send-image/-audio/-doc with a signed URL, and that URL
served by the API returns exactly the bytes the manager sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import pytest

from channels.chatflow.emulator import Delivery
from channels.faults import FaultSpec
from storage import OutboxStatus
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, service_settings, wait_until
from tests.telegram.harness import TG_SECRET, Desk, running_desk

pytestmark = pytest.mark.anyio

JID = f"{PHONE}@s.whatsapp.net"
PHOTO = b"\xff\xd8\xff\xe0JFIF-" + bytes(range(256)) * 64
VOICE = b"OggS-opus-" + bytes(range(200))
PDF = b"%PDF-1.7 price list"


@pytest.fixture
async def desk(embedded_backend: Backend, tmp_path: Path) -> AsyncIterator[Desk]:
    settings = service_settings(media_dir=str(tmp_path / "media"))
    async with running_desk(embedded_backend.db, settings=settings) as found:
        yield found


async def _topic(desk: Desk) -> int:
    await desk.say("Можно оплатить через Kaspi?")
    await desk.wait_texts(1)
    card = await desk.wait_topic(lambda m: "Нужен менеджер" in (m.text or ""), "the hand-over card")
    assert card.thread_id is not None
    return card.thread_id


async def _fetch(desk: Desk, delivery: Delivery) -> tuple[bytes, str]:
    assert delivery.media_url is not None
    url = urlsplit(delivery.media_url)
    assert url.path.startswith("/media/")
    response = await desk.client.get(url.path)
    assert response.status_code == 200, response.text
    return response.content, response.headers["content-type"]


async def _media_deliveries(desk: Desk, count: int) -> list[Delivery]:
    def found() -> list[Delivery]:
        return [d for d in desk.chatflow.deliveries if d.endpoint != "send-text"]

    await wait_until(lambda: len(found()) >= count, what=f"{count} media deliveries")
    return found()


async def test_photo_voice_and_document_reach_whatsapp_as_the_same_bytes(desk: Desk) -> None:
    thread = await _topic(desk)
    sent = await desk.manager.send_media(thread, "photo", PHOTO, caption="Вот QR для оплаты")
    assert sent.status == 200, sent.body
    [image] = await _media_deliveries(desk, 1)
    assert (image.endpoint, image.jid, image.caption) == ("send-image", JID, "Вот QR для оплаты")
    assert await _fetch(desk, image) == (PHOTO, "image/jpeg")

    await desk.manager.send_media(thread, "voice", VOICE)
    await desk.manager.send_media(
        thread, "document", PDF, mime_type="application/pdf", file_name="prices.pdf"
    )
    image, voice, doc = await _media_deliveries(desk, 3)
    assert (voice.endpoint, doc.endpoint, doc.caption) == ("send-audio", "send-doc", " ")
    assert await _fetch(desk, voice) == (VOICE, "audio/ogg")
    assert await _fetch(desk, doc) == (PDF, "application/pdf")

    await asyncio.sleep(0.3)
    assert len(desk.chatflow.deliveries) == 4, "one WhatsApp message per manager message (1 bot reply)"
    assert [d.copy_number for d in desk.chatflow.deliveries] == [1, 1, 1, 1]
    transcript = await desk.manager.transcript()
    assert "Вложени" not in transcript and "не отправлено" not in transcript
    conversation = desk.store().conversations.find_by_jid(JID)
    rows = [
        r
        for r in desk.store().outbox.list_for_conversation(conversation.id)
        if r.payload.get("kind") == "media"
    ]
    assert [r.status for r in rows] == [OutboxStatus.SENT] * 3
    assert [r.origin.value for r in rows] == ["manager"] * 3
    messages = desk.store().messages.list_for_conversation(conversation.id)
    assert {str(m.media.get("type")) for m in messages if m.media and m.direction.value == "out"} == {
        "image",
        "audio",
        "doc",
    }


async def test_telegram_failures_are_retried_and_a_redelivered_update_sends_once(desk: Desk) -> None:
    thread = await _topic(desk)
    desk.telegram.faults.add(FaultSpec(mode="502", count=2, endpoint="getFile"))
    delivered = await desk.manager.send_media(thread, "photo", PHOTO, caption="QR")
    assert delivered.status == 200, delivered.body
    [image] = await _media_deliveries(desk, 1)
    assert await _fetch(desk, image) == (PHOTO, "image/jpeg")

    response = await desk.client.post(  # Telegram delivers the same update again
        urlsplit(delivered.webhook_url).path,
        content=msgspec.json.encode(delivered.update),
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    await asyncio.sleep(0.3)
    assert [d.endpoint for d in desk.chatflow.deliveries].count("send-image") == 1


async def test_without_a_media_store_the_manager_is_told_and_the_caption_still_goes(desk: Desk) -> None:
    thread = await _topic(desk)
    desk.rt.media = None
    await desk.manager.send_media(thread, "photo", PHOTO, caption="Вот QR")
    assert (await desk.wait_texts(2))[1] == "Вот QR"
    await desk.wait_topic(lambda m: "не отправлено" in (m.text or ""), "the note about the attachment")
