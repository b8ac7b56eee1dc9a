"""``TenantStore``: every repository of one tenant behind one object."""

from __future__ import annotations

from storage.coltypes import utcnow
from storage.db import SessionFactory
from storage.repos.base import Clock, validate_tenant_id
from storage.repos.bookings import Bookings
from storage.repos.conversations import Conversations
from storage.repos.handovers import Handovers
from storage.repos.messages import Messages
from storage.repos.metrics import Metrics
from storage.repos.outbox import Outbox
from storage.repos.topics import TelegramTopics
from storage.repos.turns import Turns

__all__ = ["TenantStore"]


class TenantStore:
    """All repositories scoped to ``tenant_id``; nothing reachable from here sees another tenant."""

    def __init__(self, session_factory: SessionFactory, tenant_id: str, *, clock: Clock = utcnow) -> None:
        self.tenant_id = validate_tenant_id(tenant_id)
        self.conversations = Conversations(session_factory, tenant_id, clock=clock)
        self.messages = Messages(session_factory, tenant_id, clock=clock)
        self.turns = Turns(session_factory, tenant_id, clock=clock)
        self.outbox = Outbox(session_factory, tenant_id, clock=clock)
        self.handovers = Handovers(session_factory, tenant_id, clock=clock)
        self.bookings = Bookings(session_factory, tenant_id, clock=clock)
        self.topics = TelegramTopics(session_factory, tenant_id, clock=clock)
        self.metrics = Metrics(session_factory, tenant_id, clock=clock)
