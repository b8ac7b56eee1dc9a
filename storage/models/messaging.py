"""Messages in and out: the message log, the durable inbound dedup, and the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.coltypes import Json, utcnow
from storage.enums import Channel, Direction, OutboxOrigin, OutboxStatus
from storage.models.base import Base, TenantScoped, enum_column, new_id

__all__ = ["InboundDedup", "Message", "OutboxRow"]

_CONVERSATION_FK = (["tenant_id", "conversation_id"], ["conversations.tenant_id", "conversations.id"])


class Message(TenantScoped, Base):
    """One message of a conversation; inbound turns also carry the engine decision and its trace."""

    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(*_CONVERSATION_FK, ondelete="CASCADE"),
        Index(None, "tenant_id", "conversation_id", "received_at"),
        Index(None, "tenant_id", "processed", "received_at"),
        Index(None, "tenant_id", "provider_message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID]
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    media: Mapped[dict[str, Any] | None] = mapped_column(Json)
    decision: Mapped[dict[str, Any] | None] = mapped_column(Json)
    trace: Mapped[Any | None] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    processed: Mapped[bool] = mapped_column(default=False)


class InboundDedup(TenantScoped, Base):
    """The durable half of webhook dedup: one row per (tenant, provider message id), ever."""

    __tablename__ = "inbound_dedup"

    provider_message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxRow(TenantScoped, Base):
    """Something to deliver, written in the transaction that decided it; sent at least once."""

    __tablename__ = "outbox"
    __table_args__ = (
        ForeignKeyConstraint(*_CONVERSATION_FK, ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index(None, "tenant_id", "status", "next_attempt_at"),
        Index(None, "tenant_id", "conversation_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID | None]
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    origin: Mapped[OutboxOrigin] = mapped_column(enum_column(OutboxOrigin, "origin"))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    owner_version: Mapped[int]
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
