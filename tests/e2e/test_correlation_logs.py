"""One inbound message through the real path: every log line about it carries one correlation id."""

from __future__ import annotations

import logging

import pytest

from storage.log_context import correlation_id_for
from tests.e2e.harness import PHONE, TENANT, Service, wait_until
from tests.e2e.logcapture import json_lines

pytestmark = pytest.mark.anyio

PATH_EVENTS = ("webhook.accepted", "turn.decided", "outbox.sent")


async def test_one_message_is_one_correlation_id_from_webhook_to_send(service: Service) -> None:
    with json_lines() as logs:
        response = await service.say("Сколько стоит маникюр?", message_id="CID-TEST-1")
        assert response.status_code == 200, response.text
        await service.wait_deliveries(1)
        await wait_until(lambda: "outbox.sent" in logs.events(), what="the outbox.sent log line")
    expected = correlation_id_for(TENANT, "CID-TEST-1")
    events = logs.events()
    for event in PATH_EVENTS:
        assert [r["correlation_id"] for r in events[event]] == [expected], (event, events.get(event))
        assert all(r["tenant"] == TENANT for r in events[event])
    # every line written while the message was handled belongs to it (nothing else was going on)
    tagged = [r for r in logs.records() if r["correlation_id"] is not None]
    assert {r["correlation_id"] for r in tagged} == {expected}
    assert PHONE not in logs.text() and "CID-TEST-1" in logs.text()


async def test_two_customers_get_two_correlation_ids(service: Service) -> None:
    with json_lines() as logs:
        await service.say("Где вы находитесь?", message_id="CID-A")
        await service.say("Сколько стоит педикюр?", phone="77015554433", message_id="CID-B")
        await service.wait_deliveries(2)
        await wait_until(lambda: len(logs.events().get("outbox.sent", [])) == 2, what="two sends logged")
    sent = {r["correlation_id"] for r in logs.events()["outbox.sent"]}
    assert sent == {correlation_id_for(TENANT, "CID-A"), correlation_id_for(TENANT, "CID-B")}
    assert PHONE not in logs.text() and "77015554433" not in logs.text()


async def test_no_json_line_of_any_component_holds_a_raw_phone(service: Service) -> None:
    """Every logger (ours, dramatiq, httpx, uvicorn) through the production handler, failure paths too."""
    from channels.faults import FaultSpec

    service.emulator.faults.add(FaultSpec(mode="500", count=1))  # a retried send logs a warning
    with json_lines(logger="", level=logging.INFO) as logs:
        await service.say("Позовите администратора", message_id="CID-HUMAN")
        await service.say("Хочу записаться", phone="77015554433", message_id="CID-BOOK")
        await service.wait_deliveries(2)
        no_id = b'{"body": {"message": "x", "metadata": {"remoteJid": "77011234567"}}}'
        assert (await service.post(None, content=no_id)).status_code == 400
        await wait_until(lambda: len(logs.events().get("outbox.sent", [])) == 2, what="two sends logged")
    loggers = {r["logger"] for r in logs.records()}
    assert {"truffles.api.ingest", "truffles.process", "truffles.send"} <= loggers
    assert any(r["level"] == "WARNING" and "retry" in r["message"] for r in logs.records())
    assert PHONE not in logs.text() and "77015554433" not in logs.text()
    # The retried send's warning names the customer, masked (the phone never appears whole).
    assert "7701*****67@" in logs.text() or "7701*****33@" in logs.text()
