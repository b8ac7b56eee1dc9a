"""process_conversation and send_outbox as service functions (no broker threads; calls are direct)."""

from __future__ import annotations

import asyncio
import random

import pytest

from storage import OutboxStatus, Owner
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, running_service, service_settings
from workers.process import process_conversation
from workers.send import backoff_seconds, send_outbox

pytestmark = pytest.mark.anyio
JID = f"{PHONE}@s.whatsapp.net"


async def test_while_a_manager_owns_the_conversation_the_bot_stays_silent(embedded_backend: Backend) -> None:
    forwarded = []
    settings = service_settings(coalesce_seconds=0.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        service.rt.manager_forward = lambda tenant, conversation, messages: forwarded.append(len(messages))
        store = service.store()
        conversation = store.conversations.get_or_create(JID)
        handover = store.handovers.open(conversation.id, "test")
        store.handovers.take(handover.id, "manager-1")
        await service.say("Сколько стоит маникюр?")
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None and report.action == "silent" and report.outbox_ids == ()
        assert forwarded == [1]
        assert store.outbox.list_for_conversation(conversation.id) == []


async def test_an_escalation_opens_a_handover_and_its_announcement_survives_the_ownership_change(
    embedded_backend: Backend,
) -> None:
    settings = service_settings(coalesce_seconds=0.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        await service.say("Позовите администратора, хочу поговорить с человеком")
        store = service.store()
        conversation = store.conversations.find_by_jid(JID)
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None and report.action == "escalate"
        assert store.conversations.get(conversation.id).owner == Owner.PENDING
        assert store.handovers.find_open(conversation.id) is not None
        assert (
            await asyncio.to_thread(send_outbox, service.rt, "demo_salon", report.outbox_ids[0])
            == OutboxStatus.SENT
        )
        assert len(service.emulator.deliveries) == 1


async def test_a_bot_reply_computed_before_a_takeover_is_never_sent(embedded_backend: Backend) -> None:
    settings = service_settings(coalesce_seconds=0.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        await service.say("Где вы находитесь?")
        store = service.store()
        conversation = store.conversations.find_by_jid(JID)
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None
        handover = store.handovers.open(conversation.id, "manager jumped in")
        store.handovers.take(handover.id, "manager-1")
        assert await asyncio.to_thread(send_outbox, service.rt, "demo_salon", report.outbox_ids[0]) is None
        assert store.outbox.get(report.outbox_ids[0]).status == OutboxStatus.CANCELLED
        assert service.emulator.deliveries == []


async def test_the_coalescing_window_postpones_the_turn(embedded_backend: Backend) -> None:
    settings = service_settings(coalesce_seconds=30.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        await service.say("Здравствуйте")
        conversation = service.store().conversations.find_by_jid(JID)
        assert process_conversation(service.rt, "demo_salon", conversation.id) is None
        assert len(service.store().messages.unprocessed(conversation.id)) == 1


async def test_a_permanent_provider_refusal_fails_the_row_and_raises_an_alert(
    embedded_backend: Backend,
) -> None:
    from channels.faults import FaultSpec

    settings = service_settings(coalesce_seconds=0.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        service.emulator.faults.add(FaultSpec(mode="400", count=1))
        await service.say("Где вы находитесь?")
        conversation = service.store().conversations.find_by_jid(JID)
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None
        assert (
            await asyncio.to_thread(send_outbox, service.rt, "demo_salon", report.outbox_ids[0])
            == OutboxStatus.FAILED
        )
        [alert] = service.rt.alerts.raised
        assert alert.kind == "outbox_failed" and "77011234567" not in alert.detail


def test_backoff_grows_exponentially_with_jitter_is_capped_and_honours_retry_after() -> None:
    rng = random.Random(7)
    delays = [backoff_seconds(n, base=1.0, cap=60.0, rng=rng) for n in range(1, 9)]
    for attempt, delay in enumerate(delays, start=1):
        nominal = min(60.0, 2.0 ** (attempt - 1))
        assert 0.75 * nominal <= delay <= 1.25 * nominal
    assert backoff_seconds(1, base=0.5, cap=60.0, retry_after=12.0, rng=rng) == 12.0


async def test_an_engine_failure_hands_the_turn_to_a_manager_instead_of_looping(
    embedded_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.process as process_module

    def broken(*_args: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(process_module, "decide", broken)
    settings = service_settings(coalesce_seconds=0.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        await service.say("Сколько стоит маникюр?")
        store = service.store()
        conversation = store.conversations.find_by_jid(JID)
        report = process_conversation(service.rt, "demo_salon", conversation.id)
        assert report is not None and report.action == "escalate" and len(report.outbox_ids) == 1
        assert store.messages.unprocessed(conversation.id) == []
        assert store.handovers.find_open(conversation.id).reason == "engine_error"
        row = store.outbox.get(report.outbox_ids[0])
        assert row.payload["text"] == service.rt.tenants.get("demo_salon").pack.templates["escalate_default"]
