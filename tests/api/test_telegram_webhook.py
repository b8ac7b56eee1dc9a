"""``POST /webhooks/telegram/{tenant}``: an authenticated update is always acknowledged.

Telegram re-delivers every update that did not get a 2xx, and the updates behind it wait: a 400 for
one unreadable update would hold up the managers' desk. The refusals for a missing or wrong secret
(401) live in ``tests/telegram/test_isolation_and_race.py``.
"""

from __future__ import annotations

import logging

import pytest

from tests.e2e.fixtures import Backend
from tests.e2e.harness import wait_until
from tests.telegram.harness import TG_SECRET, TG_TOKEN, running_desk

pytestmark = pytest.mark.anyio

OPS_CHAT = -1009999
URL = "/webhooks/telegram/demo_salon"
DESKS: dict[str, dict[str, object]] = {
    "demo_salon": {"telegram_token": TG_TOKEN, "telegram_secret": TG_SECRET},
    "_ops": {"telegram_token": TG_TOKEN, "telegram_chat_id": OPS_CHAT},
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "$"),
        (b'{"update_id": "one"}', "$.update_id"),
        (b'{"update_id": 5, "message": {"message_id": 1, "chat": {"id": "x"}, "date": 0}}', "$.message.chat"),
    ],
)
async def test_an_unreadable_update_is_acknowledged_logged_with_its_body_and_alerted(
    embedded_backend: Backend, caplog: pytest.LogCaptureFixture, body: bytes, field: str
) -> None:
    caplog.set_level(logging.WARNING, logger="truffles.api.telegram")
    async with running_desk(embedded_backend.db, desks=DESKS) as desk:
        response = await desk.client.post(
            URL,
            content=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "unreadable" and field in answer["detail"]
        logged = [r.getMessage() for r in caplog.records if r.name == "truffles.api.telegram"]
        assert any("not applied" in line and repr(body) in line for line in logged), logged
        ops = desk.telegram.world.chat(OPS_CHAT)
        await wait_until(lambda: len(ops.messages) >= 1, what="the ops alert")
        assert "telegram_unreadable" in (next(iter(ops.messages.values())).text or "")


async def test_an_unreadable_update_without_the_secret_is_still_refused(embedded_backend: Backend) -> None:
    async with running_desk(embedded_backend.db, desks=DESKS) as desk:
        response = await desk.client.post(
            URL, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, response.text
