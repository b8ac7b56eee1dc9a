"""Allowed status transitions, one table per state machine, checked before every status write."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from storage.enums import BookingStatus, HandoverStatus, OutboxStatus
from storage.errors import IllegalTransition

__all__ = ["BOOKING_TRANSITIONS", "HANDOVER_TRANSITIONS", "OUTBOX_TRANSITIONS", "check_transition"]

S = TypeVar("S", bound=StrEnum)

HANDOVER_TRANSITIONS: Mapping[HandoverStatus, frozenset[HandoverStatus]] = {
    HandoverStatus.PENDING: frozenset(
        {
            HandoverStatus.ACTIVE,
            HandoverStatus.RESOLVED,
            HandoverStatus.RETURNED_TO_BOT,
            HandoverStatus.EXPIRED,
        }
    ),
    HandoverStatus.ACTIVE: frozenset({HandoverStatus.RESOLVED, HandoverStatus.RETURNED_TO_BOT}),
    HandoverStatus.RESOLVED: frozenset(),
    HandoverStatus.RETURNED_TO_BOT: frozenset(),
    HandoverStatus.EXPIRED: frozenset(),
}

BOOKING_TRANSITIONS: Mapping[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.NEW: frozenset({BookingStatus.TAKEN, BookingStatus.CONFIRMED, BookingStatus.DECLINED}),
    BookingStatus.TAKEN: frozenset({BookingStatus.CONFIRMED, BookingStatus.DECLINED}),
    BookingStatus.CONFIRMED: frozenset(),
    BookingStatus.DECLINED: frozenset(),
}

OUTBOX_TRANSITIONS: Mapping[OutboxStatus, frozenset[OutboxStatus]] = {
    OutboxStatus.PENDING: frozenset({OutboxStatus.SENDING, OutboxStatus.CANCELLED}),
    OutboxStatus.SENDING: frozenset(
        {OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.CANCELLED}
    ),
    OutboxStatus.FAILED: frozenset({OutboxStatus.PENDING}),
    OutboxStatus.SENT: frozenset(),
    OutboxStatus.CANCELLED: frozenset(),
}


def check_transition(table: Mapping[S, frozenset[S]], kind: str, key: object, current: S, target: S) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> target`` is in ``table``."""
    allowed = table[current]
    if target not in allowed:
        allowed_names = tuple(sorted(s.value for s in allowed))
        raise IllegalTransition(kind, key, current.value, target.value, allowed_names)
