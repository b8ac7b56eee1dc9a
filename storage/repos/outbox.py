"""The outbox: enqueue idempotently, claim atomically, record the outcome, sweep stuck rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from storage.coltypes import ensure_utc
from storage.enums import OutboxOrigin, OutboxStatus
from storage.errors import NotFound
from storage.models import Conversation, OutboxRow
from storage.records import OutboxDraft, OutboxRecord
from storage.repos.base import TenantRepo
from storage.repos.convert import outbox_record
from storage.repos.ownership import OWNERSHIP_CANCEL_REASON, load_conversation
from storage.sqlutil import dialect_name, insert_ignore
from storage.transitions import OUTBOX_TRANSITIONS, check_transition

__all__ = ["DEFAULT_CLAIM_LIMIT", "Outbox", "insert_outbox"]

DEFAULT_CLAIM_LIMIT = 10
MAX_ERROR_LENGTH = 2000
"""Longer error texts are cut: the row is a pointer to the logs, not the log."""


def insert_outbox(
    session: Session, tenant_id: str, draft: OutboxDraft, owner_version: int | None, now: datetime
) -> uuid.UUID:
    """Insert ``draft`` unless its idempotency key exists; returns the id of the row with that key.

    ``owner_version`` defaults to the conversation's current one (0 without a conversation).
    """
    if owner_version is None:
        owner_version = 0
        if draft.conversation_id is not None:
            owner_version = load_conversation(session, tenant_id, draft.conversation_id)[0].owner_version
    next_attempt_at = ensure_utc(draft.next_attempt_at, "next_attempt_at") if draft.next_attempt_at else now
    insert_ignore(
        session,
        OutboxRow,
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "conversation_id": draft.conversation_id,
            "channel": draft.channel,
            "origin": draft.origin,
            "payload": draft.payload,
            "idempotency_key": draft.idempotency_key,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": next_attempt_at,
            "owner_version": owner_version,
            "created_at": now,
        },
        ["tenant_id", "idempotency_key"],
    )
    return session.execute(
        select(OutboxRow.id).where(
            OutboxRow.tenant_id == tenant_id, OutboxRow.idempotency_key == draft.idempotency_key
        )
    ).scalar_one()


class Outbox(TenantRepo):
    """One tenant's outbox."""

    def enqueue(self, draft: OutboxDraft, *, owner_version: int | None = None) -> OutboxRecord:
        """Add a row (a no-op returning the existing row if the idempotency key is known)."""
        with self._tx("enqueue outbox row") as session:
            row_id = insert_outbox(session, self.tenant_id, draft, owner_version, self._now())
            return outbox_record(self._load(session, row_id))

    def get(self, outbox_id: uuid.UUID) -> OutboxRecord:
        with self._tx("get outbox row") as session:
            return outbox_record(self._load(session, outbox_id))

    def claim(self, outbox_id: uuid.UUID) -> OutboxRecord | None:
        """Claim one row for sending: ``None`` if it is not pending and due, or was just cancelled."""
        claimed = self._claim([OutboxRow.id == outbox_id], 1)
        return claimed[0] if claimed else None

    def claim_due(self, limit: int = DEFAULT_CLAIM_LIMIT) -> list[OutboxRecord]:
        """Atomically move up to ``limit`` due pending rows to ``sending``; no row goes to two claimers.

        PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``. SQLite: the transaction holds the write
        lock from its start and each row moves by compare-and-set on its status.
        Bot replies computed under an older owner version are cancelled instead of claimed.
        """
        return self._claim([], limit)

    def _claim(self, extra: list[ColumnElement[bool]], limit: int) -> list[OutboxRecord]:
        now = self._now()
        with self._tx("claim outbox rows") as session:
            stmt = (
                select(OutboxRow.id, OutboxRow.origin, OutboxRow.owner_version, Conversation.owner_version)
                .outerjoin(
                    Conversation,
                    (Conversation.tenant_id == OutboxRow.tenant_id)
                    & (Conversation.id == OutboxRow.conversation_id),
                )
                .where(
                    OutboxRow.tenant_id == self.tenant_id,
                    OutboxRow.status == OutboxStatus.PENDING,
                    OutboxRow.next_attempt_at <= now,
                    *extra,
                )
                .order_by(OutboxRow.next_attempt_at, OutboxRow.created_at)
                .limit(limit)
            )
            if dialect_name(session) == "postgresql":
                stmt = stmt.with_for_update(of=OutboxRow, skip_locked=True)
            claimed: list[OutboxRecord] = []
            for row_id, origin, row_owner_version, current_owner_version in session.execute(stmt).all():
                stale = (
                    origin == OutboxOrigin.BOT
                    and current_owner_version is not None
                    and current_owner_version != row_owner_version
                )
                values: dict[str, Any] = (
                    {"status": OutboxStatus.CANCELLED, "last_error": OWNERSHIP_CANCEL_REASON}
                    if stale
                    else {
                        "status": OutboxStatus.SENDING,
                        "attempts": OutboxRow.attempts + 1,
                        "send_started_at": now,
                    }
                )
                won = session.scalars(
                    update(OutboxRow)
                    .where(
                        OutboxRow.tenant_id == self.tenant_id,
                        OutboxRow.id == row_id,
                        OutboxRow.status == OutboxStatus.PENDING,
                    )
                    .values(**values)
                    .returning(OutboxRow)
                    .execution_options(synchronize_session=False)
                ).one_or_none()
                if won is not None and not stale:
                    claimed.append(outbox_record(won))
            return claimed

    def mark_sent(self, outbox_id: uuid.UUID, *, provider_message_id: str | None = None) -> OutboxRecord:
        def apply(row: OutboxRow, now: datetime) -> None:
            row.sent_at = now
            row.provider_message_id = provider_message_id
            row.last_error = None

        return self._move(outbox_id, OutboxStatus.SENT, apply)

    def mark_retry(self, outbox_id: uuid.UUID, *, error: str, retry_at: datetime) -> OutboxRecord:
        """A transient failure: back to ``pending``, due again at ``retry_at``."""
        retry_at = ensure_utc(retry_at, "retry_at")

        def apply(row: OutboxRow, _now: datetime) -> None:
            row.last_error = error[:MAX_ERROR_LENGTH]
            row.next_attempt_at = retry_at

        return self._move(outbox_id, OutboxStatus.PENDING, apply)

    def mark_failed(self, outbox_id: uuid.UUID, *, error: str) -> OutboxRecord:
        """A permanent failure (or retries exhausted): the row stops here, alert on it."""

        def apply(row: OutboxRow, _now: datetime) -> None:
            row.last_error = error[:MAX_ERROR_LENGTH]

        return self._move(outbox_id, OutboxStatus.FAILED, apply)

    def cancel(self, outbox_id: uuid.UUID, *, reason: str) -> OutboxRecord:
        def apply(row: OutboxRow, _now: datetime) -> None:
            row.last_error = reason[:MAX_ERROR_LENGTH]

        return self._move(outbox_id, OutboxStatus.CANCELLED, apply)

    def find_stuck_sending(self, older_than: timedelta, *, limit: int = 100) -> list[OutboxRecord]:
        """Rows in ``sending`` whose send started more than ``older_than`` ago."""
        with self._tx("find stuck outbox rows") as session:
            return [outbox_record(r) for r in session.scalars(self._stuck_query(older_than, limit)).all()]

    def release_stuck_sending(self, older_than: timedelta, *, limit: int = 100) -> list[OutboxRecord]:
        """Move rows stuck in ``sending`` back to ``pending`` (due now) so they are claimed again.

        Safe because delivery is at-least-once and the idempotency key dedups at the provider.
        """
        now = self._now()
        with self._tx("release stuck outbox rows") as session:
            rows = session.scalars(self._stuck_query(older_than, limit, lock=True)).all()
            for row in rows:
                check_transition(OUTBOX_TRANSITIONS, "outbox row", row.id, row.status, OutboxStatus.PENDING)
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = now
                row.last_error = f"send did not finish within {older_than.total_seconds():.0f}s"
            session.flush()
            return [outbox_record(r) for r in rows]

    def find_overdue_pending(self, older_than: timedelta, *, limit: int = 100) -> list[OutboxRecord]:
        """Pending rows due more than ``older_than`` ago: their send job was probably lost."""
        cutoff = self._now() - older_than
        with self._tx("find overdue outbox rows") as session:
            rows = session.scalars(
                select(OutboxRow)
                .where(
                    OutboxRow.tenant_id == self.tenant_id,
                    OutboxRow.status == OutboxStatus.PENDING,
                    OutboxRow.next_attempt_at < cutoff,
                )
                .order_by(OutboxRow.next_attempt_at)
                .limit(limit)
            ).all()
            return [outbox_record(r) for r in rows]

    def list_for_conversation(self, conversation_id: uuid.UUID) -> list[OutboxRecord]:
        with self._tx("list outbox rows") as session:
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.tenant_id == self.tenant_id, OutboxRow.conversation_id == conversation_id)
                .order_by(OutboxRow.created_at, OutboxRow.id)
            ).all()
            return [outbox_record(r) for r in rows]

    def _stuck_query(self, older_than: timedelta, limit: int, *, lock: bool = False) -> Any:
        cutoff = self._now() - older_than
        stmt = (
            select(OutboxRow)
            .where(
                OutboxRow.tenant_id == self.tenant_id,
                OutboxRow.status == OutboxStatus.SENDING,
                OutboxRow.send_started_at < cutoff,
            )
            .order_by(OutboxRow.send_started_at)
            .limit(limit)
        )
        return stmt.with_for_update(skip_locked=True) if lock else stmt

    def _load(self, session: Session, outbox_id: uuid.UUID, *, lock: bool = False) -> OutboxRow:
        row = session.get(OutboxRow, (self.tenant_id, outbox_id), with_for_update=lock)
        if row is None:
            raise NotFound("outbox row", self.tenant_id, outbox_id)
        return row

    def _move(
        self, outbox_id: uuid.UUID, target: OutboxStatus, apply: Callable[[OutboxRow, datetime], None]
    ) -> OutboxRecord:
        with self._tx(f"mark outbox row {target.value}") as session:
            row = self._load(session, outbox_id, lock=True)
            check_transition(OUTBOX_TRANSITIONS, "outbox row", outbox_id, row.status, target)
            row.status = target
            apply(row, self._now())
            session.flush()
            return outbox_record(row)
