"""A turn writes decision + outbox atomically; the outbox is claimed by exactly one sender."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage import (
    Channel,
    Database,
    IllegalTransition,
    NotFound,
    OutboxDraft,
    OutboxOrigin,
    OutboxStatus,
    Owner,
    StaleWrite,
    TenantDirectory,
    TenantStore,
)
from storage.models import OutboxRow
from tests.storage.conftest import FakeClock, empty_all_tables
from tests.storage.helpers import receive, reply, run_parallel


def _turn(store: TenantStore, provider_id: str = "wamid.1") -> tuple[uuid.UUID, uuid.UUID]:
    outcome = receive(store, provider_id)
    assert outcome.conversation_id is not None and outcome.message_id is not None
    return outcome.conversation_id, outcome.message_id


def test_turn_writes_decision_state_and_outbox_together(store: TenantStore) -> None:
    conversation_id, first = _turn(store, "w1")
    _, second = _turn(store, "w2")
    result = store.turns.complete(
        conversation_id,
        [first, second],
        decision={"action": "answer", "intent": "price"},
        trace=[{"stage": "intent", "score": 0.91}],
        state=b"state-1",
        expected_state_version=0,
        owner_version=0,
        outbox=[reply("turn-1:0", conversation_id), reply("turn-1:1", conversation_id)],
    )
    assert result.state_version == 1 and len(result.outbox_ids) == 2
    last = store.messages.get(second)
    assert last.decision == {"action": "answer", "intent": "price"}
    assert last.trace == [{"stage": "intent", "score": 0.91}]
    assert last.decided_at is not None and store.messages.get(first).processed
    assert store.messages.unprocessed(conversation_id) == []
    assert store.conversations.get(conversation_id).state == b"state-1"
    rows = store.outbox.list_for_conversation(conversation_id)
    assert [r.status for r in rows] == [OutboxStatus.PENDING, OutboxStatus.PENDING]


def test_stale_turn_writes_nothing(store: TenantStore) -> None:
    conversation_id, message_id = _turn(store)
    store.conversations.save_state(conversation_id, b"other worker", expected_version=0)
    with pytest.raises(StaleWrite):
        store.turns.complete(
            conversation_id,
            [message_id],
            decision={"action": "answer"},
            trace=[],
            state=b"late",
            expected_state_version=0,
            owner_version=0,
            outbox=[reply("late", conversation_id)],
        )
    assert store.outbox.list_for_conversation(conversation_id) == []
    assert store.messages.get(message_id).processed is False
    assert store.conversations.get(conversation_id).state == b"other worker"


def test_turn_over_already_processed_message_is_stale(store: TenantStore) -> None:
    conversation_id, message_id = _turn(store)
    kwargs: dict[str, Any] = {"decision": {}, "trace": None, "owner_version": 0}
    store.turns.complete(conversation_id, [message_id], expected_state_version=0, **kwargs)
    with pytest.raises(StaleWrite, match="unprocessed inbound messages"):
        store.turns.complete(conversation_id, [message_id], expected_state_version=1, **kwargs)


def test_enqueue_is_idempotent_on_the_key(store: TenantStore) -> None:
    conversation_id, _ = _turn(store)
    first = store.outbox.enqueue(reply("k", conversation_id))
    again = store.outbox.enqueue(reply("k", conversation_id))
    assert again.id == first.id
    assert len(store.outbox.list_for_conversation(conversation_id)) == 1


def test_claim_send_lifecycle_records_every_timestamp(store: TenantStore, clock: FakeClock) -> None:
    conversation_id, _ = _turn(store)
    row = store.outbox.enqueue(reply("k", conversation_id))
    clock.advance(seconds=1)
    claimed = store.outbox.claim(row.id)
    assert claimed is not None and claimed.status is OutboxStatus.SENDING and claimed.attempts == 1
    assert store.outbox.claim(row.id) is None
    clock.advance(seconds=1)
    sent = store.outbox.mark_sent(row.id, provider_message_id="chatflow-9")
    assert sent.created_at < sent.send_started_at < sent.sent_at  # type: ignore[operator]
    assert sent.provider_message_id == "chatflow-9"


def test_retry_backs_off_until_due(store: TenantStore, clock: FakeClock) -> None:
    conversation_id, _ = _turn(store)
    row = store.outbox.enqueue(reply("k", conversation_id))
    store.outbox.claim(row.id)
    store.outbox.mark_retry(row.id, error="502 from ChatFlow", retry_at=clock.now + timedelta(seconds=30))
    assert store.outbox.claim_due() == []
    clock.advance(seconds=31)
    (again,) = store.outbox.claim_due()
    assert again.attempts == 2 and again.last_error == "502 from ChatFlow"
    failed = store.outbox.mark_failed(row.id, error="gave up")
    assert failed.status is OutboxStatus.FAILED


def test_claim_due_text_only_leaves_media_rows_for_their_queue(store: TenantStore, clock: FakeClock) -> None:
    conversation_id, _ = _turn(store)
    text = store.outbox.enqueue(reply("t", conversation_id))  # no kind: a text row
    media = store.outbox.enqueue(
        OutboxDraft(
            idempotency_key="m",
            channel=Channel.CHATFLOW,
            payload={"kind": "media", "media": {"type": "image", "file_id": "f"}},
            conversation_id=conversation_id,
        )
    )
    clock.advance(seconds=1)
    assert [r.id for r in store.outbox.claim_due(10, text_only=True)] == [text.id]
    assert [r.id for r in store.outbox.claim_due(10)] == [media.id]


def test_has_due_sees_only_claimable_rows(store: TenantStore, clock: FakeClock) -> None:
    conversation_id, _ = _turn(store)
    assert not store.outbox.has_due() and not store.outbox.has_due(text_only=True)
    store.outbox.enqueue(
        OutboxDraft(
            idempotency_key="m",
            channel=Channel.CHATFLOW,
            payload={"kind": "media", "media": {"type": "image", "file_id": "f"}},
            conversation_id=conversation_id,
        )
    )
    text = store.outbox.enqueue(reply("t", conversation_id))
    clock.advance(seconds=1)
    assert store.outbox.has_due(text_only=True)
    store.outbox.claim(text.id)  # sending: no longer waiting
    assert store.outbox.has_due() and not store.outbox.has_due(text_only=True)
    store.outbox.mark_retry(text.id, error="502 from ChatFlow", retry_at=clock.now + timedelta(seconds=30))
    assert not store.outbox.has_due(text_only=True)  # not due before its retry time
    clock.advance(seconds=31)
    assert store.outbox.has_due(text_only=True)


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("pending", lambda s, i: s.outbox.mark_sent(i)),
        ("pending", lambda s, i: s.outbox.mark_failed(i, error="x")),
        ("sent", lambda s, i: s.outbox.cancel(i, reason="x")),
        ("sent", lambda s, i: s.outbox.mark_retry(i, error="x", retry_at=s.outbox._now())),
    ],
)
def test_illegal_outbox_transition_names_from_and_to(store: TenantStore, setup: str, action) -> None:  # type: ignore[no-untyped-def]
    conversation_id, _ = _turn(store)
    row = store.outbox.enqueue(reply("k", conversation_id))
    if setup == "sent":
        store.outbox.claim(row.id)
        store.outbox.mark_sent(row.id)
    with pytest.raises(IllegalTransition) as info:
        action(store, row.id)
    assert info.value.from_status == setup
    assert f"{setup} -> " in str(info.value)


def test_concurrent_claimers_never_get_the_same_row(store: TenantStore) -> None:
    conversation_id, _ = _turn(store)
    expected = {store.outbox.enqueue(reply(f"k{i}", conversation_id)).id for i in range(60)}

    def drain(_: int) -> list[uuid.UUID]:
        got: list[uuid.UUID] = []
        while batch := store.outbox.claim_due(limit=3):
            got.extend(r.id for r in batch)
        return got

    claimed = [row_id for ids in run_parallel(8, drain) for row_id in ids]
    assert len(claimed) == len(set(claimed)) == 60
    assert set(claimed) == expected


def test_bot_reply_computed_before_takeover_is_cancelled_not_sent(store: TenantStore) -> None:
    conversation_id, message_id = _turn(store)
    seen_owner_version = store.conversations.get(conversation_id).owner_version
    store.conversations.set_owner(conversation_id, Owner.MANAGER)  # manager takes over meanwhile
    store.turns.complete(
        conversation_id,
        [message_id],
        decision={"action": "answer"},
        trace=[],
        expected_state_version=0,
        owner_version=seen_owner_version,
        outbox=[reply("late-bot", conversation_id)],
    )
    manager = store.outbox.enqueue(reply("manager-1", conversation_id, origin=OutboxOrigin.MANAGER))
    claimed = store.outbox.claim_due()
    assert [r.id for r in claimed] == [manager.id]
    statuses = {r.idempotency_key: r.status for r in store.outbox.list_for_conversation(conversation_id)}
    assert statuses["late-bot"] is OutboxStatus.CANCELLED


def test_takeover_cancels_pending_bot_replies_at_once(store: TenantStore) -> None:
    conversation_id, _ = _turn(store)
    bot = store.outbox.enqueue(reply("bot", conversation_id))
    store.conversations.set_owner(conversation_id, Owner.MANAGER)
    assert store.outbox.get(bot.id).status is OutboxStatus.CANCELLED


def test_stuck_sending_rows_are_found_and_released(store: TenantStore, clock: FakeClock) -> None:
    conversation_id, _ = _turn(store)
    row = store.outbox.enqueue(reply("k", conversation_id))
    store.outbox.claim(row.id)
    clock.advance(seconds=30)
    assert store.outbox.find_stuck_sending(timedelta(seconds=60)) == []
    clock.advance(seconds=60)
    assert [r.id for r in store.outbox.find_stuck_sending(timedelta(seconds=60))] == [row.id]
    (released,) = store.outbox.release_stuck_sending(timedelta(seconds=60))
    assert released.status is OutboxStatus.PENDING and "did not finish" in (released.last_error or "")
    assert [r.id for r in store.outbox.claim_due()] == [row.id]


def test_overdue_pending_rows_are_found(store: TenantStore, clock: FakeClock) -> None:
    conversation_id, _ = _turn(store)
    row = store.outbox.enqueue(reply("k", conversation_id))
    clock.advance(minutes=5)
    assert [r.id for r in store.outbox.find_overdue_pending(timedelta(minutes=1))] == [row.id]


def test_stuck_unprocessed_inbound_is_found(store: TenantStore, clock: FakeClock) -> None:
    _, message_id = _turn(store)
    assert store.messages.find_stuck_inbound(timedelta(seconds=30)) == []
    clock.advance(seconds=31)
    assert [m.id for m in store.messages.find_stuck_inbound(timedelta(seconds=30))] == [message_id]


def test_other_tenants_decoy_is_invisible(store: TenantStore, decoy: TenantStore, clock: FakeClock) -> None:
    conversation_id, message_id = _turn(decoy)
    theirs = decoy.outbox.enqueue(reply("k", conversation_id))
    mine = store.outbox.enqueue(reply("k", None))
    assert mine.id != theirs.id  # same key, other tenant: not a duplicate
    clock.advance(minutes=5)
    assert [r.id for r in store.outbox.claim_due()] == [mine.id]
    assert store.outbox.find_overdue_pending(timedelta(0)) == []
    assert store.outbox.list_for_conversation(conversation_id) == []
    calls: tuple[Callable[[], object], ...] = (
        lambda: store.outbox.get(theirs.id),
        lambda: store.outbox.mark_sent(theirs.id),
        lambda: store.outbox.cancel(theirs.id, reason="x"),
    )
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert store.outbox.claim(theirs.id) is None
    with pytest.raises(NotFound):
        store.turns.complete(
            conversation_id, [message_id], decision={}, trace=None, expected_state_version=0, owner_version=0
        )
    assert decoy.outbox.get(theirs.id).status is OutboxStatus.PENDING


@pytest.mark.integration
def test_postgres_claim_skips_rows_locked_by_another_sender(postgres_database: Database) -> None:
    """SKIP LOCKED: a claimer never waits on, nor takes, a row another transaction holds."""
    empty_all_tables(postgres_database)
    TenantDirectory(postgres_database.session_factory).upsert("acme", "Acme")
    store = TenantStore(postgres_database.session_factory, "acme")
    conversation_id = store.conversations.get_or_create("1@s.whatsapp.net").id
    held = store.outbox.enqueue(reply("held", conversation_id))
    free = store.outbox.enqueue(reply("free", conversation_id))
    with postgres_database.session_factory() as session, session.begin():
        session.execute(
            select(OutboxRow).where(OutboxRow.tenant_id == "acme", OutboxRow.id == held.id).with_for_update()
        ).one()
        with ThreadPoolExecutor(max_workers=1) as pool:
            claimed = pool.submit(store.outbox.claim_due).result(timeout=10)
    assert [r.id for r in claimed] == [free.id]
