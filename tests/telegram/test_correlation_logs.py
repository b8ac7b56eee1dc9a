"""An escalation: the webhook, the decision, the reply and the hand-over card share one correlation id."""

from __future__ import annotations

import pytest

from channels.chatflow.player import build_inbound_payload
from storage.log_context import correlation_id_for
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, SECRET, wait_until
from tests.e2e.logcapture import json_lines
from tests.telegram.harness import running_desk

pytestmark = pytest.mark.anyio


async def test_hand_over_card_carries_the_inbound_correlation_id(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db) as desk:
        with json_lines() as logs:
            payload = build_inbound_payload("demo_salon", "Можно оплатить через Kaspi?", phone=PHONE,
                                            message_id="CID-KASPI")  # fmt: skip
            response = await desk.client.post(
                "/webhooks/chatflow/demo_salon", json=payload, headers={"X-Webhook-Secret": SECRET}
            )
            assert response.status_code == 200
            await desk.wait_topic(lambda m: "Нужен менеджер" in (m.text or ""), "the hand-over card")
            await wait_until(lambda: "handover.card_posted" in logs.events(), what="the card's log line")
            await wait_until(lambda: len(logs.events().get("outbox.sent", [])) >= 2, what="both sends logged")
    expected = correlation_id_for("demo_salon", "CID-KASPI")
    events = logs.events()
    for event in ("webhook.accepted", "turn.decided", "outbox.sent", "handover.card_posted"):
        found = events.get(event, [])
        assert found and all(r["correlation_id"] == expected for r in found), (event, found)
    channels = sorted(r["message"].split(" sent via ")[1].split()[0] for r in events["outbox.sent"])
    assert channels == ["chatflow", "telegram"]  # the WhatsApp reply and the card in the topic
    assert PHONE not in logs.text()
