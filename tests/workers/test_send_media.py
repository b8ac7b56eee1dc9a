"""send_outbox with a ``media`` row: ChatFlow send-image/-audio/-doc with a fresh signed URL per attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from channels.faults import FaultSpec
from storage import Channel, OutboxDraft, OutboxOrigin, OutboxStatus
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, Service, running_service, service_settings
from workers.send import send_outbox

pytestmark = pytest.mark.anyio
JID = f"{PHONE}@s.whatsapp.net"


@pytest.fixture
async def service(embedded_backend: Backend, tmp_path: Path) -> AsyncIterator[Service]:
    settings = service_settings(coalesce_seconds=0.0, media_dir=str(tmp_path / "media"))
    async with running_service(embedded_backend.db, settings=settings, workers=False) as found:
        yield found


def _enqueue(service: Service, key: str, media: dict[str, Any], caption: str = "") -> Any:
    payload = {"kind": "media", "jid": JID, "caption": caption, "media": media}
    draft = OutboxDraft(
        idempotency_key=key, channel=Channel.CHATFLOW, payload=payload, origin=OutboxOrigin.MANAGER
    )
    return service.store().outbox.enqueue(draft)


async def _send(service: Service, row: Any) -> OutboxStatus | None:
    return await asyncio.to_thread(send_outbox, service.rt, "demo_salon", row.id)


@pytest.mark.parametrize(
    ("kind", "endpoint", "caption", "sent_caption"),
    [
        ("image", "send-image", "", " "),
        ("doc", "send-doc", "прайс", "прайс"),
        ("audio", "send-audio", "x", None),
    ],
)
async def test_a_media_row_goes_to_its_endpoint_with_a_signed_url(
    service: Service, kind: str, endpoint: str, caption: str, sent_caption: str | None
) -> None:
    assert service.rt.media is not None
    service.rt.media.store.put("demo_salon", b"bytes", "image/png", file_id="f1")
    row = _enqueue(service, "m-1", {"type": kind, "file_id": "f1"}, caption)
    assert await _send(service, row) == OutboxStatus.SENT
    [delivery] = service.emulator.deliveries
    assert (delivery.endpoint, delivery.jid, delivery.msg_id, delivery.caption) == (
        endpoint,
        JID,
        "m-1",
        sent_caption,
    )
    assert delivery.media_url is not None and "/media/" in delivery.media_url
    token = delivery.media_url.rsplit("/", 1)[1]
    assert service.rt.media.signer.verify(token).file_id == "f1"


async def test_a_provider_error_is_retried_with_a_fresh_url_and_sent_once(service: Service) -> None:
    assert service.rt.media is not None
    service.rt.media.store.put("demo_salon", b"bytes", "image/jpeg", file_id="f2")
    service.emulator.faults.add(FaultSpec(mode="500", count=1, endpoint="send-image"))
    row = _enqueue(service, "m-2", {"type": "image", "file_id": "f2"})
    assert await _send(service, row) == OutboxStatus.PENDING
    await asyncio.sleep(0.05)
    assert await _send(service, row) == OutboxStatus.SENT
    assert await _send(service, row) is None  # already sent: never twice
    assert [d.endpoint for d in service.emulator.deliveries] == ["send-image"]


async def test_an_unsendable_media_row_fails_with_an_alert(service: Service) -> None:
    missing = _enqueue(service, "m-3", {"type": "image", "file_id": "nothing"})
    assert await _send(service, missing) == OutboxStatus.FAILED
    bad = _enqueue(service, "m-4", {"type": "video", "file_id": "f"})
    assert await _send(service, bad) == OutboxStatus.FAILED
    assert [a.kind for a in service.rt.alerts.raised] == ["outbox_failed", "outbox_failed"]
    assert service.emulator.deliveries == []
