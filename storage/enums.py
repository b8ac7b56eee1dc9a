"""Closed vocabularies stored in the database (as short strings with CHECK constraints)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BookingStatus",
    "Channel",
    "Direction",
    "HandoverStatus",
    "OutboxOrigin",
    "OutboxStatus",
    "Owner",
]


class Owner(StrEnum):
    """Who answers the customer right now."""

    BOT = "bot"
    PENDING = "pending"
    MANAGER = "manager"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Channel(StrEnum):
    CHATFLOW = "chatflow"
    TELEGRAM = "telegram"


class OutboxOrigin(StrEnum):
    """Who produced an outbox row: only ``bot`` rows are cancelled by an ownership change."""

    BOT = "bot"
    MANAGER = "manager"
    SYSTEM = "system"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class HandoverStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    RESOLVED = "resolved"
    RETURNED_TO_BOT = "returned_to_bot"
    EXPIRED = "expired"


class BookingStatus(StrEnum):
    NEW = "new"
    TAKEN = "taken"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
