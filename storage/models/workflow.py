"""Work for humans and numbers about it: handovers, booking requests, daily metrics."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.coltypes import Json, utcnow
from storage.enums import BookingStatus, HandoverStatus
from storage.models.base import Base, TenantScoped, enum_column, new_id

__all__ = ["BookingRequest", "DailyMetrics", "Handover"]

_CONVERSATION_FK = (["tenant_id", "conversation_id"], ["conversations.tenant_id", "conversations.id"])


class Handover(TenantScoped, Base):
    """A conversation handed to the tenant's managers: pending -> active -> resolved."""

    __tablename__ = "handovers"
    __table_args__ = (
        ForeignKeyConstraint(*_CONVERSATION_FK, ondelete="CASCADE"),
        Index(None, "tenant_id", "conversation_id", "status"),
        Index(None, "tenant_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID]
    status: Mapped[HandoverStatus] = mapped_column(
        enum_column(HandoverStatus, "status"), default=HandoverStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(Text)
    telegram_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    taken_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)


class BookingRequest(TenantScoped, Base):
    """A complete booking request collected by the bot, for a manager to confirm or decline."""

    __tablename__ = "booking_requests"
    __table_args__ = (
        ForeignKeyConstraint(*_CONVERSATION_FK, ondelete="CASCADE"),
        Index(None, "tenant_id", "status", "created_at"),
        Index(None, "tenant_id", "conversation_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID]
    service: Mapped[str] = mapped_column(String(200))
    datetime_text: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(64))
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus, "status"), default=BookingStatus.NEW
    )
    handled_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyMetrics(TenantScoped, Base):
    """Per-tenant counters for one UTC day, merged by addition."""

    __tablename__ = "daily_metrics"

    day: Mapped[date] = mapped_column(primary_key=True)
    counters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
