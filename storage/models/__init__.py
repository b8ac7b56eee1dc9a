"""SQLAlchemy models: every table of Truffles. ``Base.metadata`` is what Alembic compares against."""

from __future__ import annotations

from storage.models.base import Base
from storage.models.messaging import InboundDedup, Message, OutboxRow
from storage.models.tenancy import Conversation, Customer, TelegramTopic, Tenant
from storage.models.workflow import BookingRequest, DailyMetrics, Handover

__all__ = [
    "Base",
    "BookingRequest",
    "Conversation",
    "Customer",
    "DailyMetrics",
    "Handover",
    "InboundDedup",
    "Message",
    "OutboxRow",
    "TelegramTopic",
    "Tenant",
]
