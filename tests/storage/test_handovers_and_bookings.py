"""Handover and booking request state machines; handovers move conversation ownership."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from storage import (
    BookingDraft,
    BookingStatus,
    HandoverStatus,
    IllegalTransition,
    NotFound,
    Owner,
    TenantStore,
)
from tests.storage.conftest import FakeClock
from tests.storage.helpers import JID


def _conversation(store: TenantStore) -> uuid.UUID:
    return store.conversations.get_or_create(JID).id


def test_handover_lifecycle_moves_ownership(store: TenantStore, clock: FakeClock) -> None:
    conversation_id = _conversation(store)
    handover = store.handovers.open(conversation_id, "payment question")
    assert handover.status is HandoverStatus.PENDING
    assert store.conversations.get(conversation_id).owner is Owner.PENDING
    store.handovers.attach_thread(handover.id, 42)
    clock.advance(minutes=2)
    taken = store.handovers.take(handover.id, "manager:Dana")
    assert (taken.status, taken.taken_by, taken.telegram_thread_id) == (
        HandoverStatus.ACTIVE,
        "manager:Dana",
        42,
    )
    assert store.conversations.get(conversation_id).owner is Owner.MANAGER
    resolved = store.handovers.resolve(handover.id)
    assert resolved.resolved_at is not None and resolved.taken_at is not None
    after = store.conversations.get(conversation_id)
    assert (after.owner, after.owner_version) == (Owner.BOT, 3)


def test_opening_twice_returns_the_open_handover(store: TenantStore) -> None:
    conversation_id = _conversation(store)
    first = store.handovers.open(conversation_id, "complaint")
    assert store.handovers.open(conversation_id, "again").id == first.id
    assert store.conversations.get(conversation_id).owner_version == 1
    store.handovers.return_to_bot(first.id)
    assert store.handovers.find_open(conversation_id) is None
    assert store.handovers.open(conversation_id, "new").id != first.id


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "resolve"),
        (["resolve"], "take"),
        (["take"], "expire"),
        (["expire"], "return_to_bot"),
    ],
)
def test_illegal_handover_transition_names_from_and_to(
    store: TenantStore, path: list[str], illegal: str
) -> None:
    handover = store.handovers.open(_conversation(store), "reason")
    for step in path:
        getattr(store.handovers, step)(*([handover.id, "m"] if step == "take" else [handover.id]))
    before = store.handovers.get(handover.id).status
    if illegal == "resolve" and before is HandoverStatus.PENDING:
        store.handovers.resolve(handover.id)  # pending -> resolved is allowed; resolved -> resolved is not
        before = HandoverStatus.RESOLVED
    with pytest.raises(IllegalTransition) as info:
        getattr(store.handovers, illegal)(*([handover.id, "m"] if illegal == "take" else [handover.id]))
    assert info.value.from_status == before.value
    assert f"{before.value} -> " in str(info.value)


def test_reminders_and_expiry_queries(store: TenantStore, clock: FakeClock) -> None:
    handover = store.handovers.open(_conversation(store), "reason")
    assert store.handovers.record_reminder(handover.id).reminders_sent == 1
    # Overlapping sweepers record the same reminder number: the count never double-counts or goes back.
    assert [store.handovers.record_reminder(handover.id, sent=n).reminders_sent for n in (1, 2, 2, 1)] == [
        1,
        2,
        2,
        2,
    ]
    assert store.handovers.list_by_status(HandoverStatus.PENDING, older_than=timedelta(minutes=10)) == []
    clock.advance(minutes=11)
    (old,) = store.handovers.list_by_status(HandoverStatus.PENDING, older_than=timedelta(minutes=10))
    assert old.id == handover.id
    assert store.handovers.expire(handover.id).status is HandoverStatus.EXPIRED


def test_booking_lifecycle_and_illegal_transition(store: TenantStore) -> None:
    conversation_id = _conversation(store)
    booking = store.bookings.create(
        BookingDraft(
            conversation_id=conversation_id,
            service="маникюр",
            datetime_text="завтра в 15:00",
            name="Айгерим",
            phone="+77011234567",
        )
    )
    assert booking.status is BookingStatus.NEW and booking.masked_phone == "+7701***4567"
    assert store.bookings.take(booking.id, "Dana").handled_by == "Dana"
    assert store.bookings.confirm(booking.id).status is BookingStatus.CONFIRMED
    with pytest.raises(IllegalTransition, match="confirmed -> declined"):
        store.bookings.decline(booking.id)
    assert [b.id for b in store.bookings.list(status=BookingStatus.CONFIRMED)] == [booking.id]
    assert store.bookings.list(status=BookingStatus.NEW) == []


def test_other_tenants_decoy_is_invisible(store: TenantStore, decoy: TenantStore) -> None:
    conversation_id = _conversation(decoy)
    handover = decoy.handovers.open(conversation_id, "theirs")
    booking = decoy.bookings.create(
        BookingDraft(conversation_id=conversation_id, service="s", datetime_text="d", name="n", phone="p")
    )
    assert store.handovers.find_open(conversation_id) is None
    assert store.handovers.list_by_status(HandoverStatus.PENDING) == []
    assert store.bookings.list() == []
    for call in (
        lambda: store.handovers.get(handover.id),
        lambda: store.handovers.take(handover.id, "m"),
        lambda: store.handovers.attach_thread(handover.id, 1),
        lambda: store.handovers.open(conversation_id, "x"),
        lambda: store.bookings.get(booking.id),
        lambda: store.bookings.confirm(booking.id),
        lambda: store.bookings.create(
            BookingDraft(conversation_id=conversation_id, service="s", datetime_text="d", name="n", phone="p")
        ),
    ):
        with pytest.raises(NotFound):
            call()
    assert decoy.handovers.get(handover.id).status is HandoverStatus.PENDING
    assert decoy.bookings.get(booking.id).status is BookingStatus.NEW
