"""Plain immutable records returned by the repositories (no ORM objects leak out of storage)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storage.enums import BookingStatus, Channel, Direction, HandoverStatus, OutboxOrigin, OutboxStatus, Owner
from storage.masking import mask_phone

__all__ = [
    "BookingDraft",
    "BookingRecord",
    "ConversationRecord",
    "CustomerRecord",
    "DailyMetricsRecord",
    "HandoverRecord",
    "InboundDraft",
    "InboundOutcome",
    "MessageRecord",
    "OutboxDraft",
    "OutboxRecord",
    "TenantRecord",
    "TurnOutcome",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantRecord:
    id: str
    display_name: str
    settings: dict[str, Any]
    secret_refs: dict[str, str]
    chatflow_instance_id: str | None
    telegram_chat_id: int | None
    insecure_demo: bool
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerRecord:
    tenant_id: str
    id: uuid.UUID
    jid: str
    push_name: str | None
    first_seen_at: datetime
    last_seen_at: datetime

    @property
    def masked_phone(self) -> str:
        """The phone number from the JID, masked for logs (``+7701***4567``)."""
        return mask_phone(self.jid)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationRecord:
    tenant_id: str
    id: uuid.UUID
    customer_id: uuid.UUID
    jid: str
    state: bytes | None
    state_version: int
    owner: Owner
    owner_version: int
    muted: bool
    last_activity_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    tenant_id: str
    id: uuid.UUID
    conversation_id: uuid.UUID
    direction: Direction
    provider_message_id: str | None
    text: str | None
    media: dict[str, Any] | None
    decision: dict[str, Any] | None
    trace: Any
    received_at: datetime
    decided_at: datetime | None
    processed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundDraft:
    """An inbound WhatsApp message as parsed at the edge, ready to store."""

    provider_message_id: str
    jid: str
    text: str | None = None
    push_name: str | None = None
    media: dict[str, Any] | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundOutcome:
    """Result of recording an inbound message: stored, or a duplicate of one stored before."""

    duplicate: bool
    message_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    customer_id: uuid.UUID | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxDraft:
    """Something to deliver. ``idempotency_key`` is unique per tenant; re-enqueueing it is a no-op."""

    idempotency_key: str
    channel: Channel
    payload: dict[str, Any]
    conversation_id: uuid.UUID | None = None
    origin: OutboxOrigin = OutboxOrigin.BOT
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRecord:
    tenant_id: str
    id: uuid.UUID
    conversation_id: uuid.UUID | None
    channel: Channel
    origin: OutboxOrigin
    payload: dict[str, Any]
    idempotency_key: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    owner_version: int
    provider_message_id: str | None
    created_at: datetime
    send_started_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnOutcome:
    """What :meth:`Turns.complete` wrote: the new state version and the outbox rows of the turn."""

    state_version: int
    outbox_ids: tuple[uuid.UUID, ...] = field(default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoverRecord:
    tenant_id: str
    id: uuid.UUID
    conversation_id: uuid.UUID
    status: HandoverStatus
    reason: str
    telegram_thread_id: int | None
    taken_by: str | None
    created_at: datetime
    taken_at: datetime | None
    resolved_at: datetime | None
    reminders_sent: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingDraft:
    conversation_id: uuid.UUID
    service: str
    datetime_text: str
    name: str
    phone: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingRecord:
    tenant_id: str
    id: uuid.UUID
    conversation_id: uuid.UUID
    service: str
    datetime_text: str
    name: str
    phone: str
    status: BookingStatus
    handled_by: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyMetricsRecord:
    tenant_id: str
    day: date
    counters: dict[str, Any]
    updated_at: datetime
