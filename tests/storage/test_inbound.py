"""Inbound messages are stored once per provider id, atomically, and only for their tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import InboundDraft, InvalidValue, NotFound, TenantStore
from tests.storage.conftest import FakeClock
from tests.storage.helpers import JID, receive, run_parallel


def test_first_delivery_is_stored_with_customer_and_conversation(store: TenantStore) -> None:
    outcome = receive(store, "wamid.1", text="Сколько стоит маникюр?")
    assert not outcome.duplicate
    assert outcome.message_id is not None and outcome.conversation_id is not None
    message = store.messages.get(outcome.message_id)
    assert message.text == "Сколько стоит маникюр?"
    assert message.processed is False
    assert message.received_at.utcoffset() == timedelta(0)
    conversation = store.conversations.get(outcome.conversation_id)
    assert conversation.jid == JID
    assert conversation.customer_id == outcome.customer_id


def test_redelivery_reports_duplicate_with_the_original_ids(store: TenantStore) -> None:
    first = receive(store, "wamid.1")
    second = receive(store, "wamid.1", text="changed")
    assert second.duplicate
    assert second.message_id == first.message_id
    assert second.conversation_id == first.conversation_id
    assert [m.text for m in store.messages.unprocessed(first.conversation_id)] == ["hello"]  # type: ignore[arg-type]


def test_duplicate_writes_nothing_not_even_a_new_customer(store: TenantStore) -> None:
    receive(store, "wamid.1", jid="111@s.whatsapp.net")
    outcome = receive(store, "wamid.1", jid="222@s.whatsapp.net")
    assert outcome.duplicate
    assert store.conversations.find_by_jid("222@s.whatsapp.net") is None


def test_same_provider_id_from_20_threads_is_stored_exactly_once(store: TenantStore) -> None:
    outcomes = run_parallel(20, lambda i: receive(store, "wamid.race", text=f"copy {i}"))
    stored = [o for o in outcomes if not o.duplicate]
    assert len(stored) == 1
    assert sum(o.duplicate for o in outcomes) == 19
    conversation_id = stored[0].conversation_id
    assert conversation_id is not None
    assert len(store.messages.list_for_conversation(conversation_id)) == 1


def test_concurrent_first_messages_of_one_customer_share_one_conversation(store: TenantStore) -> None:
    outcomes = run_parallel(10, lambda i: receive(store, f"wamid.{i}"))
    assert len({o.conversation_id for o in outcomes}) == 1
    assert len({o.customer_id for o in outcomes}) == 1


def test_same_provider_id_in_another_tenant_is_not_a_duplicate(
    store: TenantStore, decoy: TenantStore
) -> None:
    receive(decoy, "wamid.1")
    assert not receive(store, "wamid.1").duplicate


def test_other_tenants_decoy_is_invisible(store: TenantStore, decoy: TenantStore) -> None:
    theirs = receive(decoy, "wamid.decoy", text="secret of the decoy")
    assert theirs.message_id is not None and theirs.conversation_id is not None
    with pytest.raises(NotFound):
        store.messages.get(theirs.message_id)
    assert store.messages.list_for_conversation(theirs.conversation_id) == []
    assert store.messages.unprocessed(theirs.conversation_id) == []
    assert store.messages.find_stuck_inbound(timedelta(0)) == []
    with pytest.raises(NotFound):
        store.messages.record_outbound(theirs.conversation_id, "leak?")


def test_empty_provider_id_is_rejected_with_the_fix(store: TenantStore) -> None:
    with pytest.raises(InvalidValue, match="provider_message_id"):
        store.messages.record_inbound(InboundDraft(provider_message_id="", jid=JID))


def test_prune_dedup_forgets_only_old_keys(store: TenantStore, clock: FakeClock) -> None:
    receive(store, "old")
    clock.advance(days=3)
    receive(store, "new")
    assert store.messages.prune_dedup(timedelta(days=2)) == 1
    assert not receive(store, "old").duplicate
    assert receive(store, "new").duplicate
