"""Handovers to managers; every status change moves conversation ownership in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.enums import HandoverStatus, Owner
from storage.errors import NotFound
from storage.models import Handover
from storage.records import HandoverRecord
from storage.repos.base import TenantRepo
from storage.repos.convert import handover_record
from storage.repos.ownership import change_owner, load_conversation
from storage.transitions import HANDOVER_TRANSITIONS, check_transition

__all__ = ["OPEN_HANDOVER_STATUSES", "Handovers"]

OPEN_HANDOVER_STATUSES = (HandoverStatus.PENDING, HandoverStatus.ACTIVE)

_OWNER_AFTER: dict[HandoverStatus, Owner] = {
    HandoverStatus.ACTIVE: Owner.MANAGER,
    HandoverStatus.RESOLVED: Owner.BOT,
    HandoverStatus.RETURNED_TO_BOT: Owner.BOT,
    HandoverStatus.EXPIRED: Owner.BOT,
}


class Handovers(TenantRepo):
    """One tenant's handovers."""

    def open(self, conversation_id: uuid.UUID, reason: str) -> HandoverRecord:
        """Open a pending handover, or return the one already open for this conversation."""
        with self._tx("open handover") as session:
            load_conversation(session, self.tenant_id, conversation_id, for_update=True)
            existing = self._find_open(session, conversation_id)
            if existing is not None:
                return handover_record(existing)
            change_owner(session, self.tenant_id, conversation_id, Owner.PENDING)
            row = Handover(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                conversation_id=conversation_id,
                status=HandoverStatus.PENDING,
                reason=reason,
                created_at=self._now(),
                reminders_sent=0,
            )
            session.add(row)
            session.flush()
            return handover_record(row)

    def get(self, handover_id: uuid.UUID) -> HandoverRecord:
        with self._tx("get handover") as session:
            return handover_record(self._load(session, handover_id))

    def find_open(self, conversation_id: uuid.UUID) -> HandoverRecord | None:
        with self._tx("find open handover") as session:
            row = self._find_open(session, conversation_id)
            return handover_record(row) if row is not None else None

    def list_by_status(
        self, status: HandoverStatus, *, older_than: timedelta | None = None, limit: int = 100
    ) -> list[HandoverRecord]:
        """Handovers in ``status``, oldest first; ``older_than`` keeps those created before now - it."""
        with self._tx("list handovers") as session:
            stmt = select(Handover).where(Handover.tenant_id == self.tenant_id, Handover.status == status)
            if older_than is not None:
                stmt = stmt.where(Handover.created_at < self._now() - older_than)
            rows = session.scalars(stmt.order_by(Handover.created_at).limit(limit)).all()
            return [handover_record(r) for r in rows]

    def attach_thread(self, handover_id: uuid.UUID, thread_id: int) -> HandoverRecord:
        with self._tx("attach handover thread") as session:
            row = self._load(session, handover_id, lock=True)
            row.telegram_thread_id = thread_id
            session.flush()
            return handover_record(row)

    def record_reminder(self, handover_id: uuid.UUID, *, sent: int | None = None) -> HandoverRecord:
        """One more reminder sent; with ``sent``: reminder number ``sent`` is out (idempotent, never lowers).

        Two sweepers that both post reminder #1 (one outbox row: same idempotency key) must leave the
        count at 1, or the next reminder would be skipped: pass ``sent``.
        """
        with self._tx("record handover reminder") as session:
            row = self._load(session, handover_id, lock=True)
            row.reminders_sent = row.reminders_sent + 1 if sent is None else max(row.reminders_sent, sent)
            session.flush()
            return handover_record(row)

    def take(self, handover_id: uuid.UUID, manager: str) -> HandoverRecord:
        """pending -> active: ``manager`` owns the conversation, the bot falls silent."""

        def apply(row: Handover, now: datetime) -> None:
            row.taken_by = manager
            row.taken_at = now

        return self._move(handover_id, HandoverStatus.ACTIVE, apply)

    def resolve(self, handover_id: uuid.UUID) -> HandoverRecord:
        return self._move(handover_id, HandoverStatus.RESOLVED, _closed)

    def return_to_bot(self, handover_id: uuid.UUID) -> HandoverRecord:
        return self._move(handover_id, HandoverStatus.RETURNED_TO_BOT, _closed)

    def expire(self, handover_id: uuid.UUID) -> HandoverRecord:
        return self._move(handover_id, HandoverStatus.EXPIRED, _closed)

    def _move(
        self, handover_id: uuid.UUID, target: HandoverStatus, apply: Callable[[Handover, datetime], None]
    ) -> HandoverRecord:
        with self._tx(f"move handover to {target.value}") as session:
            row = self._load(session, handover_id, lock=True)
            check_transition(HANDOVER_TRANSITIONS, "handover", handover_id, row.status, target)
            row.status = target
            apply(row, self._now())
            session.flush()
            change_owner(session, self.tenant_id, row.conversation_id, _OWNER_AFTER[target])
            return handover_record(row)

    def _find_open(self, session: Session, conversation_id: uuid.UUID) -> Handover | None:
        return session.scalars(
            select(Handover)
            .where(
                Handover.tenant_id == self.tenant_id,
                Handover.conversation_id == conversation_id,
                Handover.status.in_(OPEN_HANDOVER_STATUSES),
            )
            .order_by(Handover.created_at.desc())
            .limit(1)
        ).first()

    def _load(self, session: Session, handover_id: uuid.UUID, *, lock: bool = False) -> Handover:
        row = session.get(Handover, (self.tenant_id, handover_id), with_for_update=lock)
        if row is None:
            raise NotFound("handover", self.tenant_id, handover_id)
        return row


def _closed(row: Handover, now: datetime) -> None:
    row.resolved_at = now
