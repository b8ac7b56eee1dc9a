"""Everything a service process shares: settings, database, tenants, queue, sender, clocks, ports.

The web edge and the actors receive one :class:`Runtime`; there are no module-level globals, so a
test can run several services side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import redis

from config.settings import ServiceSettings
from storage import ConversationRecord, Database, MessageRecord
from workers.alerts import AlertSink
from workers.heartbeat import Heartbeats
from workers.locks import Locks, MemoryLocks, RedisLocks
from workers.media_links import MediaLinks
from workers.queue import TaskQueue
from workers.sender import TextSender
from workers.telegram_desk import TelegramDesk
from workers.telemetry import Telemetry
from workers.tenants import TenantRegistry, TenantRuntime

__all__ = ["ManagerForward", "Runtime", "log_manager_forward", "utcnow"]

log = logging.getLogger("truffles.runtime")


def utcnow() -> datetime:
    return datetime.now(UTC)


class ManagerForward(Protocol):
    """Hook: customer messages that arrive while a manager owns the conversation.

    Issue 6 (the Telegram desk) implements it by forwarding into the customer's forum topic.
    """

    def __call__(
        self, tenant: TenantRuntime, conversation: ConversationRecord, messages: Sequence[MessageRecord]
    ) -> None: ...


def log_manager_forward(
    tenant: TenantRuntime, conversation: ConversationRecord, messages: Sequence[MessageRecord]
) -> None:
    """The default hook until the Telegram desk exists: log that the bot stayed silent."""
    log.info(
        "tenant=%s conversation=%s owner=%s: %d message(s) stored for the managers, bot silent",
        tenant.id,
        conversation.id,
        conversation.owner.value,
        len(messages),
    )


@dataclass(kw_only=True)
class Runtime:
    """The shared parts of one service process."""

    settings: ServiceSettings
    db: Database
    tenants: TenantRegistry
    queue: TaskQueue
    sender: TextSender
    alerts: AlertSink
    telemetry: Telemetry
    redis: redis.Redis | None = None
    clock: Callable[[], datetime] = utcnow
    manager_forward: ManagerForward = log_manager_forward
    telegram: TelegramDesk | None = None
    """The managers' Telegram desk (issue 6); None when no tenant has a bot configured."""
    media: MediaLinks | None = None
    """Media we send (store + signed URLs); None when no media secret is configured."""
    heartbeats: Heartbeats | None = None
    """Where worker processes report they are alive (Redis when configured, else in-process)."""
    _locks: dict[str, Locks] = field(default_factory=dict)
    _locks_mutex: threading.Lock = field(default_factory=threading.Lock)

    def locks_for(self, tenant_id: str) -> Locks:
        """The conversation locks of one tenant (Redis when configured, else in-process)."""
        with self._locks_mutex:
            found = self._locks.get(tenant_id)
            if found is None:
                found = (
                    RedisLocks(self.redis, tenant_id) if self.redis is not None else MemoryLocks(tenant_id)
                )
                self._locks[tenant_id] = found
            return found

    def now(self) -> datetime:
        return self.clock()
