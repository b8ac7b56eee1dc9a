"""The sweeper re-enqueues lost work: unprocessed inbound turns, rows stuck mid-send, overdue rows."""

from __future__ import annotations

import asyncio

import pytest

from storage import OutboxStatus
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, running_service, service_settings, wait_until, workers_running
from workers.sweeper import sweep_once

pytestmark = pytest.mark.anyio


async def test_a_stored_message_whose_queue_message_was_lost_is_answered_after_a_sweep(
    embedded_backend: Backend,
) -> None:
    settings = service_settings(coalesce_seconds=0.0, stuck_inbound_grace_seconds=0.05)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        await service.say("Где вы находитесь?")
        broker = service.rt.queue.broker
        broker.flush_all()  # the broker lost the process_conversation message
        await asyncio.sleep(0.1)
        report = sweep_once(service.rt, prune=True)
        assert report.inbound == 1 and report.errors == []
        async with workers_running(service):
            [delivery] = await service.wait_deliveries(1)
        assert "Абая 150" in (delivery.text or "")


async def test_nothing_to_sweep_means_nothing_enqueued(embedded_backend: Backend) -> None:
    async with running_service(embedded_backend.db, workers=False) as service:
        report = sweep_once(service.rt)
        assert (report.inbound, report.stuck_sending, report.overdue) == (0, 0, 0)
        assert service.rt.queue.depths() == {"turns": 0, "outbox": 0, "outbox_media": 0}


async def test_an_overdue_pending_row_is_re_enqueued(embedded_backend: Backend) -> None:
    settings = service_settings(coalesce_seconds=0.0, stuck_sending_seconds=0.05)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        from workers.process import process_conversation

        await service.say("Где вы находитесь?")
        store = service.store()
        conversation = store.conversations.find_by_jid(f"{PHONE}@s.whatsapp.net")
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None
        service.rt.queue.broker.flush_all()  # the send_outbox message was lost
        await asyncio.sleep(0.1)
        assert sweep_once(service.rt).overdue == 1
        async with workers_running(service):
            await service.wait_deliveries(1)
            await wait_until(lambda: store.outbox.get(report.outbox_ids[0]).status == OutboxStatus.SENT)
