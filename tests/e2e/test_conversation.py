"""End to end: webhook → store → process_conversation → outbox → send_outbox → ChatFlow emulator."""

from __future__ import annotations

import asyncio
import logging

import pytest

from channels.chatflow.player import build_inbound_payload, new_message_id
from storage import OutboxStatus
from tests.e2e.fixtures import Backend
from tests.e2e.harness import (
    PHONE,
    SMOKE,
    Service,
    running_service,
    service_settings,
    wait_until,
    workers_running,
)

pytestmark = pytest.mark.anyio


async def test_live_smoke_messages_get_truthful_replies_in_order(service: Service) -> None:
    replies = []
    for number, text in enumerate(SMOKE, start=1):
        response = await service.say(text)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "stored"
        deliveries = await service.wait_deliveries(number)
        replies.append(deliveries[-1].text or "")
    assert "2 500 ₸" in replies[0] and "45–90 минут" in replies[0] and "Абая 150" in replies[0]
    assert "Абая 150" in replies[1]
    assert "день и время" in replies[2]
    assert all(d.copy_number == 1 and d.jid == f"{PHONE}@s.whatsapp.net" for d in service.emulator.deliveries)
    conversation = service.store().conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
    outbox = service.store().outbox
    await wait_until(
        lambda: all(r.status == OutboxStatus.SENT for r in outbox.list_for_conversation(conversation.id))
    )
    rows = outbox.list_for_conversation(conversation.id)
    assert len(rows) == 3
    for row in rows:  # every step stamped its time, in order
        assert row.send_started_at is not None and row.sent_at is not None
        assert row.created_at <= row.send_started_at <= row.sent_at


async def test_a_burst_of_short_messages_becomes_one_turn(backend: Backend) -> None:
    settings = service_settings(coalesce_seconds=0.4)
    async with running_service(backend.db, settings=settings, redis_client=backend.redis) as service:
        for text in ("Здравствуйте", "сколько стоит", "маникюр?"):
            assert (await service.say(text)).status_code == 200
        deliveries = await service.wait_deliveries(1)
        await asyncio.sleep(0.5)  # a second turn would have been decided by now
        assert len(service.emulator.deliveries) == 1
        assert "2 500 ₸" in (deliveries[0].text or "")
        conversation = service.store().conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
        messages = service.store().messages.list_for_conversation(conversation.id)
        inbound = [m for m in messages if m.direction == "in"]
        assert len(inbound) == 3 and all(m.processed for m in inbound)
        assert [m.decision is not None for m in inbound] == [False, False, True]


async def test_a_duplicate_webhook_storm_is_processed_once_and_answered_once(service: Service) -> None:
    payload = build_inbound_payload(
        "demo_salon", "Сколько стоит маникюр?", phone=PHONE, message_id=new_message_id()
    )
    responses = await asyncio.gather(*(service.post(payload) for _ in range(50)))
    assert [r.status_code for r in responses] == [200] * 50
    outcomes = sorted(r.json()["status"] for r in responses)
    assert outcomes.count("stored") == 1 and outcomes.count("duplicate") == 49
    await service.wait_deliveries(1)
    await asyncio.sleep(0.3)
    assert len(service.emulator.deliveries) == 1
    conversation = service.store().conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
    inbound = [
        m for m in service.store().messages.list_for_conversation(conversation.id) if m.direction == "in"
    ]
    assert len(inbound) == 1


async def test_provider_errors_then_recovery_deliver_the_reply_exactly_once(service: Service) -> None:
    from channels.faults import FaultSpec

    service.emulator.faults.add(FaultSpec(mode="500", count=2))
    service.emulator.faults.add(FaultSpec(mode="429", count=1, retry_after=0.05))
    await service.say("Сколько стоит маникюр?")
    deliveries = await service.wait_deliveries(1)
    await asyncio.sleep(0.2)
    assert len(service.emulator.deliveries) == 1 and deliveries[0].copy_number == 1
    assert [c.status for c in service.emulator.calls] == [500, 500, 429, 200]
    conversation = service.store().conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
    outbox = service.store().outbox
    await wait_until(lambda: outbox.list_for_conversation(conversation.id)[0].status == OutboxStatus.SENT)
    [row] = outbox.list_for_conversation(conversation.id)
    assert row.attempts == 4


async def test_a_reply_claimed_by_a_worker_that_died_is_swept_back_and_delivered(backend: Backend) -> None:
    from workers.process import process_conversation
    from workers.sweeper import sweep_once

    settings = service_settings(stuck_sending_seconds=0.05, coalesce_seconds=0.0)
    async with running_service(
        backend.db, settings=settings, redis_client=backend.redis, workers=False
    ) as service:
        await service.say("Где вы находитесь?")
        store = service.store()
        conversation = store.conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None and len(report.outbox_ids) == 1
        claimed = store.outbox.claim(report.outbox_ids[0])  # a worker claims it ... and dies
        assert claimed is not None and claimed.status == OutboxStatus.SENDING
        await asyncio.sleep(0.1)
        assert sweep_once(service.rt).stuck_sending == 1
        async with workers_running(service):  # the restarted worker
            deliveries = await service.wait_deliveries(1)
            await wait_until(lambda: store.outbox.get(claimed.id).status == OutboxStatus.SENT)
        assert len(deliveries) == 1 and "Абая 150" in (deliveries[0].text or "")
        assert store.outbox.get(claimed.id).attempts == 2


async def test_phone_numbers_never_reach_the_logs(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    from channels.faults import FaultSpec

    service.emulator.faults.add(FaultSpec(mode="500", count=1))  # the retry path logs too
    with caplog.at_level(logging.DEBUG, logger="truffles"):
        await service.say("Позовите администратора")
        await service.say("Хочу записаться", phone="77015554433")
        await service.wait_deliveries(2)
        no_id = b'{"body": {"message": "x", "metadata": {"remoteJid": "77011234567"}}}'
        assert (await service.post(None, content=no_id)).status_code == 400
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "truffles" in " ".join(r.name for r in caplog.records)
    assert PHONE not in text and "77015554433" not in text
