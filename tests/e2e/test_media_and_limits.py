"""Media (photo/voice/document answered per the pack, video refused politely) and rate limits."""

from __future__ import annotations

import asyncio

import pytest

from channels.chatflow.player import build_inbound_payload
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, Service, demo_pack, running_service, service_settings, wait_until

pytestmark = pytest.mark.anyio

PHOTO = {"type": "image", "mimetype": "image/jpeg", "url": "https://cdn.example/p.jpg"}
VIDEO = {"type": "video", "mimetype": "video/mp4", "url": "https://cdn.example/v.mp4", "size": 1000}
VOICE = {
    "type": "audio",
    "mimetype": "audio/ogg",
    "url": "https://cdn.example/a.ogg",
    "ptt": True,
    "seconds": 4,
}


async def _send_media(service: Service, media: dict, caption: str = "", kind: str = "image") -> None:
    payload = build_inbound_payload("demo_salon", caption, phone=PHONE, message_type=kind, media=media)
    response = await service.post(payload)
    assert response.status_code == 200 and response.json()["status"] == "stored", response.text


@pytest.mark.parametrize(("media", "kind"), [(PHOTO, "image"), (VOICE, "audio")])
async def test_a_photo_or_voice_note_without_text_gets_the_packs_media_reply(
    service: Service, media: dict, kind: str
) -> None:
    await _send_media(service, media, kind=kind)
    [delivery] = await service.wait_deliveries(1)
    assert delivery.text == demo_pack().templates["media_reply"]
    conversation = service.store().conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
    [message] = service.store().messages.unprocessed(conversation.id) or [None]
    assert message is None


async def test_a_video_is_refused_politely_and_still_stored(service: Service) -> None:
    await _send_media(service, VIDEO, kind="video")
    [delivery] = await service.wait_deliveries(1)
    assert "видео" in (delivery.text or "").lower()
    conversation = service.store().conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
    [message] = [
        m for m in service.store().messages.list_for_conversation(conversation.id) if m.direction == "in"
    ]
    assert message.media["refused"] == "video" and message.media["url"] == VIDEO["url"]


async def test_a_photo_with_a_question_in_its_caption_is_answered_from_the_facts(service: Service) -> None:
    await _send_media(service, PHOTO, caption="Сколько стоит такой маникюр?")
    [delivery] = await service.wait_deliveries(1)
    assert "2 500 ₸" in (delivery.text or "") or "маникюр" in (delivery.text or "").lower()


async def test_a_customer_over_the_rate_limit_is_recorded_silently_and_alerted_once(backend: Backend) -> None:
    from config.settings import RateLimit

    settings = service_settings(rate_customer_text=RateLimit(burst=2, per_second=0.001), coalesce_seconds=0.0)
    async with running_service(backend.db, settings=settings, redis_client=backend.redis) as service:
        statuses = []
        for text in ("Где вы находитесь?", "А во сколько открываетесь?", "эй", "ау", "алло"):
            statuses.append((await service.say(text)).json()["status"])
            await asyncio.sleep(0.05)
        assert statuses == ["stored", "stored", "rate_limited", "rate_limited", "rate_limited"]
        other = await service.say("Где вы находитесь?", phone="77019998877")  # another customer is fine
        assert other.json()["status"] == "stored"
        store = service.store()
        conversation = store.conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
        await wait_until(lambda: not store.messages.unprocessed(conversation.id))
        await asyncio.sleep(0.2)
        replies = store.outbox.list_for_conversation(conversation.id)
        ours = [d for d in service.emulator.deliveries if d.jid == f"{PHONE}@s.whatsapp.net"]
        assert 1 <= len(ours) == len(replies) <= 2  # the first two (maybe coalesced); never the limited ones
        inbound = [m for m in store.messages.list_for_conversation(conversation.id) if m.direction == "in"]
        assert len(inbound) == 5 and all(m.processed for m in inbound)
        assert [m.decision["action"] for m in inbound[2:]] == ["drop"] * 3
        alerts = [a for a in service.rt.alerts.raised if a.kind == "rate_limited"]
        assert len(alerts) == 1 and "77011234567" not in alerts[0].detail
