"""drain_outbox: a tenant's due text rows, one claim at a time; media rows and other tenants untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dramatiq import Message

from channels.faults import FaultSpec
from storage import Channel, OutboxDraft, OutboxOrigin, OutboxStatus
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, Service, running_service, service_settings
from workers import drain
from workers.drain import drain_outbox
from workers.queue import DRAIN_ACTOR, OUTBOX_QUEUE

pytestmark = pytest.mark.anyio
JID = f"{PHONE}@s.whatsapp.net"


@pytest.fixture
async def service(embedded_backend: Backend) -> AsyncIterator[Service]:
    settings = service_settings(coalesce_seconds=0.0)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as found:
        yield found


def _row(service: Service, key: str, payload: dict[str, Any] | None = None) -> Any:
    draft = OutboxDraft(
        idempotency_key=key,
        channel=Channel.CHATFLOW,
        payload=payload or {"kind": "text", "jid": JID, "text": f"Ответ {key}"},
        origin=OutboxOrigin.MANAGER,
    )
    return service.store().outbox.enqueue(draft)


def _drain_messages(service: Service) -> list[Message[None]]:
    queue = service.rt.queue.broker.queues[OUTBOX_QUEUE].queue  # type: ignore[attr-defined]
    return [m for m in (Message.decode(raw) for raw in queue) if m.actor_name == DRAIN_ACTOR]


async def test_every_due_text_row_is_sent_once_and_media_rows_are_left_to_their_queue(
    service: Service,
) -> None:
    rows = [_row(service, f"t-{n}") for n in range(5)]
    media = _row(service, "m-1", {"kind": "media", "jid": JID, "media": {"type": "image", "file_id": "x"}})
    handled = await asyncio.to_thread(drain_outbox, service.rt, "demo_salon")
    assert handled == 5
    assert sorted(d.msg_id for d in service.emulator.deliveries) == [f"t-{n}" for n in range(5)]
    outbox = service.store().outbox
    assert {outbox.get(r.id).status for r in rows} == {OutboxStatus.SENT}
    assert outbox.get(media.id).status == OutboxStatus.PENDING


async def test_a_drain_wakes_one_successor_when_rows_wait_behind_its_first_and_none_otherwise(
    service: Service,
) -> None:
    assert await asyncio.to_thread(drain_outbox, service.rt, "demo_salon") == 0
    assert _drain_messages(service) == []
    _row(service, "t-1")
    assert await asyncio.to_thread(drain_outbox, service.rt, "demo_salon") == 1
    assert _drain_messages(service) == []  # an isolated reply: nothing behind it, no empty drain
    _row(service, "t-2")
    _row(service, "t-3")
    assert await asyncio.to_thread(drain_outbox, service.rt, "demo_salon") == 2
    assert len(_drain_messages(service)) == 1  # woken with the first row, for the one behind it


async def test_a_backlog_is_drained_in_turns_a_drain_re_queues_itself(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drain, "DRAIN_ROWS", 3)
    for n in range(7):
        _row(service, f"t-{n}")
    assert await asyncio.to_thread(drain_outbox, service.rt, "demo_salon") == 3
    assert len(service.emulator.deliveries) == 3
    assert len(_drain_messages(service)) == 2  # its successor and its own re-wake
    assert await asyncio.to_thread(drain_outbox, service.rt, "demo_salon") == 3
    assert await asyncio.to_thread(drain_outbox, service.rt, "demo_salon") == 1
    assert len(service.emulator.deliveries) == 7


async def test_a_transient_provider_error_is_retried_by_a_message_naming_the_row(service: Service) -> None:
    service.emulator.faults.add(FaultSpec(mode="500", count=1, endpoint="send-text"))
    row = _row(service, "t-1")
    await asyncio.to_thread(drain_outbox, service.rt, "demo_salon")
    assert service.store().outbox.get(row.id).status == OutboxStatus.PENDING
    delayed = service.rt.queue.broker.queues[f"{OUTBOX_QUEUE}.DQ"].queue  # type: ignore[attr-defined]
    [retry] = [Message.decode(raw) for raw in delayed]
    assert retry.args[1] == str(row.id)
