"""Storage: SQLAlchemy models, per-tenant repositories, and migrations (SQLite or PostgreSQL).

Typical use::

    db = open_database()                       # $TRUFFLES_DATABASE_URL or var/truffles.db
    upgrade_to_head(db.engine)
    store = TenantStore(db.session_factory, "demo_salon")
    outcome = store.messages.record_inbound(InboundDraft(provider_message_id=..., jid=..., text=...))
"""

from __future__ import annotations

from storage.db import Database, SessionFactory, make_engine, make_session_factory, open_database
from storage.enums import BookingStatus, Channel, Direction, HandoverStatus, OutboxOrigin, OutboxStatus, Owner
from storage.errors import (
    ConstraintViolation,
    IllegalTransition,
    InvalidValue,
    NotFound,
    StaleWrite,
    StorageError,
    StorageUnavailable,
)
from storage.masking import mask_phone
from storage.migrate import upgrade_to_head
from storage.records import (
    BookingDraft,
    BookingRecord,
    ConversationRecord,
    CustomerRecord,
    DailyMetricsRecord,
    HandoverRecord,
    InboundDraft,
    InboundOutcome,
    MessageRecord,
    OutboxDraft,
    OutboxRecord,
    TenantRecord,
    TurnOutcome,
)
from storage.repos.bookings import Bookings
from storage.repos.conversations import Conversations
from storage.repos.handovers import Handovers
from storage.repos.messages import Messages
from storage.repos.metrics import Metrics
from storage.repos.outbox import Outbox
from storage.repos.store import TenantStore
from storage.repos.tenants import TenantDirectory
from storage.repos.topics import TelegramTopics
from storage.repos.turns import Turns

__all__ = [
    "BookingDraft",
    "BookingRecord",
    "BookingStatus",
    "Bookings",
    "Channel",
    "ConstraintViolation",
    "ConversationRecord",
    "Conversations",
    "CustomerRecord",
    "DailyMetricsRecord",
    "Database",
    "Direction",
    "HandoverRecord",
    "HandoverStatus",
    "Handovers",
    "IllegalTransition",
    "InboundDraft",
    "InboundOutcome",
    "InvalidValue",
    "MessageRecord",
    "Messages",
    "Metrics",
    "NotFound",
    "Outbox",
    "OutboxDraft",
    "OutboxOrigin",
    "OutboxRecord",
    "OutboxStatus",
    "Owner",
    "SessionFactory",
    "StaleWrite",
    "StorageError",
    "StorageUnavailable",
    "TelegramTopics",
    "TenantDirectory",
    "TenantRecord",
    "TenantStore",
    "TurnOutcome",
    "Turns",
    "make_engine",
    "make_session_factory",
    "mask_phone",
    "open_database",
    "upgrade_to_head",
]
