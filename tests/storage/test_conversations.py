"""Conversations: get-or-create by JID, compare-and-set engine state, versioned ownership."""

from __future__ import annotations

import pytest

from storage import InboundDraft, NotFound, Owner, StaleWrite, TenantStore
from tests.storage.helpers import JID, run_parallel


def test_get_or_create_is_idempotent_and_keeps_first_seen(store: TenantStore) -> None:
    first = store.conversations.get_or_create(JID, push_name="Aigerim")
    again = store.conversations.get_or_create(JID)
    assert again.id == first.id
    customer = store.conversations.get_customer(first.customer_id)
    assert customer.push_name == "Aigerim"
    assert customer.masked_phone == "+7701***4567"
    assert first.owner is Owner.BOT and first.owner_version == 0 and first.state_version == 0


def test_concurrent_get_or_create_converges(store: TenantStore) -> None:
    ids = run_parallel(10, lambda _: store.conversations.get_or_create(JID).id)
    assert len(set(ids)) == 1


def test_state_compare_and_set_bumps_version(store: TenantStore) -> None:
    conversation = store.conversations.get_or_create(JID)
    assert store.conversations.save_state(conversation.id, b'{"slot":"service"}', expected_version=0) == 1
    assert store.conversations.save_state(conversation.id, b'{"slot":"time"}', expected_version=1) == 2
    assert store.conversations.get(conversation.id).state == b'{"slot":"time"}'


def test_stale_state_write_is_rejected_and_changes_nothing(store: TenantStore) -> None:
    conversation = store.conversations.get_or_create(JID)
    store.conversations.save_state(conversation.id, b"winner", expected_version=0)
    with pytest.raises(StaleWrite) as info:
        store.conversations.save_state(conversation.id, b"loser", expected_version=0)
    assert (info.value.expected, info.value.actual) == (0, 1)
    assert "Reload" in str(info.value)
    assert store.conversations.get(conversation.id).state == b"winner"


def test_concurrent_state_writers_exactly_one_wins(store: TenantStore) -> None:
    conversation = store.conversations.get_or_create(JID)

    def attempt(i: int) -> bool:
        try:
            store.conversations.save_state(conversation.id, f"w{i}".encode(), expected_version=0)
        except StaleWrite:
            return False
        return True

    assert sum(run_parallel(8, attempt)) == 1
    assert store.conversations.get(conversation.id).state_version == 1


def test_every_ownership_change_bumps_owner_version(store: TenantStore) -> None:
    conversation = store.conversations.get_or_create(JID)
    assert store.conversations.set_owner(conversation.id, Owner.MANAGER).owner_version == 1
    back = store.conversations.set_owner(conversation.id, Owner.BOT, expected_owner_version=1)
    assert (back.owner, back.owner_version) == (Owner.BOT, 2)
    with pytest.raises(StaleWrite):
        store.conversations.set_owner(conversation.id, Owner.MANAGER, expected_owner_version=1)


def test_mute_flag_round_trips(store: TenantStore) -> None:
    conversation = store.conversations.get_or_create(JID)
    assert store.conversations.set_muted(conversation.id, True).muted is True
    assert store.conversations.get(conversation.id).muted is True


def test_other_tenants_decoy_is_invisible(store: TenantStore, decoy: TenantStore) -> None:
    theirs = decoy.conversations.get_or_create(JID)
    decoy.messages.record_inbound(InboundDraft(provider_message_id="p", jid=JID))
    assert store.conversations.find_by_jid(JID) is None
    for call in (
        lambda: store.conversations.get(theirs.id),
        lambda: store.conversations.get_customer(theirs.customer_id),
        lambda: store.conversations.save_state(theirs.id, b"x", expected_version=0),
        lambda: store.conversations.set_owner(theirs.id, Owner.MANAGER),
        lambda: store.conversations.set_muted(theirs.id, True),
    ):
        with pytest.raises(NotFound):
            call()
    mine = store.conversations.get_or_create(JID)
    assert mine.id != theirs.id
    assert decoy.conversations.get(theirs.id).state_version == 0
