"""Drill: the Telegram Bot API answers a storm of 429s (Retry-After) and 502s during a wave of hand-overs.

Eight customers ask a LAW question at once: each gets the bot's hand-over reply on WhatsApp and a
forum topic with one hand-over card for the managers. While Telegram rate-limits ``sendMessage``
and ``createForumTopic``, every card must still arrive exactly once, in exactly one topic per
customer (a retried ``createForumTopic`` must not open a second topic).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from channels.faults import FaultSpec
from storage import Channel, OutboxStatus
from storage.models import OutboxRow
from tests.drills.conftest import Servers
from tests.drills.harness import (
    Ledger,
    chatflow_checks,
    drill_settings,
    final_outbox_checks,
    phone,
    post_until_accepted,
    wait_drained,
)
from tests.drills.results import DrillRecord
from tests.e2e.harness import wait_until
from tests.telegram.harness import CHAT, running_desk

pytestmark = [pytest.mark.anyio, pytest.mark.drill, pytest.mark.integration]

CUSTOMERS = 8
ROUNDS = 6
LAW_QUESTION = "Можно оплатить через Kaspi?"
ROUND = (
    FaultSpec(mode="429", count=3, retry_after=0.3, endpoint="sendMessage"),
    FaultSpec(mode="429", count=1, retry_after=0.3, endpoint="createForumTopic"),
    FaultSpec(mode="502", count=1, endpoint="sendMessage"),
)


def _sent_telegram_rows(servers: Servers) -> int:
    with servers.db.session_factory() as session:
        rows = session.query(OutboxRow).filter(
            OutboxRow.channel == Channel.TELEGRAM, OutboxRow.status == OutboxStatus.SENT
        )
        return int(rows.count())


async def test_telegram_429_storm(servers: Servers, drill_record: DrillRecord) -> None:
    drill_record.fault = "Telegram 429 (Retry-After 0.3 s) + 502 storm on cards and topics"
    settings = drill_settings(servers.redis.url, servers.database_url)
    async with running_desk(servers.db, settings=settings) as desk:
        for _ in range(ROUNDS):
            for spec in ROUND:
                desk.telegram.faults.add(spec)
        drill_record.faults_injected = ROUNDS * sum(spec.count for spec in ROUND)
        ledger = Ledger()
        for i in range(CUSTOMERS):  # one after the other, as fast as the API acknowledges
            await post_until_accepted(desk.client, ledger, LAW_QUESTION, phone(i))
        await wait_until(lambda: not desk.telegram.faults.pending(), 60, "the storm to pass")
        cleared = time.monotonic()
        drained = await wait_drained(servers.db, ledger, lambda: {d.jid for d in desk.chatflow.deliveries})
        ledger.fill(drill_record)
        drill_record.recovery_seconds = round(drained - cleared, 3)
        chat = desk.telegram.world.chat(CHAT)
        cards = Counter(m.thread_id for m in desk.topic_messages() if "Нужен менеджер" in (m.text or ""))
        calls = Counter(f"{method} {status}" for method, status in desk.telegram.calls)
        drill_record.handovers = sum(cards.values())
        drill_record.extra = {"telegram calls": dict(sorted(calls.items())), "topics": len(chat.topics)}
        chatflow_checks(desk.chatflow, drill_record)
        final_outbox_checks(servers.db)
        assert len(chat.topics) == CUSTOMERS, "one topic per customer"
        assert sorted(cards.values()) == [1] * CUSTOMERS, f"one card per topic: {cards}"
        assert len(desk.topic_messages()) == _sent_telegram_rows(servers), "a topic message per sent row"
        assert calls["sendMessage 429"] == 3 * ROUNDS and calls["createForumTopic 429"] == ROUNDS
