"""The outbox: enqueue idempotently, claim atomically, record the outcome, sweep stuck rows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.coltypes import ensure_utc
from storage.driver_statement import execute_first, execute_records
from storage.enums import Direction, OutboxOrigin, OutboxStatus
from storage.errors import NotFound
from storage.models import Message, OutboxRow
from storage.records import OutboxDraft, OutboxRecord
from storage.repos.base import TenantRepo, single_statement
from storage.repos.convert import outbox_record
from storage.repos.outbox_sql import (
    claim_candidates,
    postgres_claim,
    postgres_move,
    postgres_sent_with_transcript,
)
from storage.repos.ownership import OWNERSHIP_CANCEL_REASON, load_conversation
from storage.sqlutil import insert_ignore
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
        claimed = self._claim(outbox_id, 1)
        return claimed[0] if claimed else None

    def claim_due(self, limit: int = DEFAULT_CLAIM_LIMIT, *, text_only: bool = False) -> list[OutboxRecord]:
        """Atomically move up to ``limit`` due pending rows to ``sending``; no row goes to two claimers.

        PostgreSQL: one ``UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`` for the
        whole batch. SQLite: the transaction holds the write lock from its start and each row moves
        by compare-and-set on its status.
        Bot replies computed under an older owner version are cancelled instead of claimed.
        ``text_only`` leaves media rows alone (they are sent from their own queue).
        """
        return self._claim(None, limit, text_only)

    def has_due(self, *, text_only: bool = False) -> bool:
        """Whether a due pending row is waiting to be claimed (``text_only``: a text row)."""
        params = {"claim_tenant_id": self.tenant_id, "claim_now": self._now(), "claim_limit": 1}
        with single_statement(self._session_factory, "look for due outbox rows", self.tenant_id) as conn:
            return execute_first(conn, claim_candidates(False, text_only), params) is not None

    def _claim(self, outbox_id: uuid.UUID | None, limit: int, text_only: bool = False) -> list[OutboxRecord]:
        now = self._now()
        params: dict[str, Any] = {"claim_tenant_id": self.tenant_id, "claim_now": now, "claim_limit": limit}
        if outbox_id is not None:
            params["claim_outbox_id"] = outbox_id
        by_id = outbox_id is not None
        if self._dialect() == "postgresql":
            with single_statement(self._session_factory, "claim outbox rows", self.tenant_id) as conn:
                rows = execute_records(conn, postgres_claim(by_id, text_only), params)
            claimed = [outbox_record(cast(OutboxRow, row)) for row in rows if not row.stale]
            claimed.sort(key=lambda r: (r.next_attempt_at, r.created_at))
            return claimed
        with self._tx("claim outbox rows") as session:
            claimed = []
            candidates = session.execute(claim_candidates(by_id, text_only), params).all()
            for row_id, origin, row_owner_version, current_owner_version in candidates:
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

    def mark_sent(
        self,
        outbox_id: uuid.UUID,
        *,
        provider_message_id: str | None = None,
        record_transcript: bool = False,
        text: str | None = None,
        media: dict[str, object] | None = None,
    ) -> OutboxRecord:
        """The provider accepted the row.

        With ``record_transcript`` the message sent (``text``, ``media``) is appended to the row's
        conversation in the SAME transaction, as :meth:`Messages.record_outbound` would do in a
        second one (a row without a conversation records nothing).
        """
        now = self._now()
        values = {"sent_at": now, "provider_message_id": provider_message_id, "last_error": None}
        if self._dialect() == "postgresql":
            extra = {"message_id": uuid.uuid4(), "message_text": text, "message_media": media}
            statement = (
                postgres_sent_with_transcript(tuple(values))
                if record_transcript
                else postgres_move(OutboxStatus.SENT, tuple(values))
            )
            moved = self._move_once(statement, outbox_id, values, extra if record_transcript else {})
            if moved is not None:
                return moved
        with self._tx("mark outbox row sent") as session:
            row = self._move_in(session, outbox_id, OutboxStatus.SENT, values)
            if record_transcript and row.conversation_id is not None:
                session.execute(
                    insert(Message).values(
                        tenant_id=self.tenant_id,
                        id=uuid.uuid4(),
                        conversation_id=row.conversation_id,
                        direction=Direction.OUT,
                        provider_message_id=provider_message_id,
                        text=text,
                        media=media,
                        received_at=now,
                        processed=True,
                    )
                )
            return row

    def mark_retry(self, outbox_id: uuid.UUID, *, error: str, retry_at: datetime) -> OutboxRecord:
        """A transient failure: back to ``pending``, due again at ``retry_at``."""
        retry_at = ensure_utc(retry_at, "retry_at")
        values = {"last_error": error[:MAX_ERROR_LENGTH], "next_attempt_at": retry_at}
        return self._move(outbox_id, OutboxStatus.PENDING, values)

    def mark_failed(self, outbox_id: uuid.UUID, *, error: str) -> OutboxRecord:
        """A permanent failure (or retries exhausted): the row stops here, alert on it."""
        return self._move(outbox_id, OutboxStatus.FAILED, {"last_error": error[:MAX_ERROR_LENGTH]})

    def cancel(self, outbox_id: uuid.UUID, *, reason: str) -> OutboxRecord:
        return self._move(outbox_id, OutboxStatus.CANCELLED, {"last_error": reason[:MAX_ERROR_LENGTH]})

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

    def _move(self, outbox_id: uuid.UUID, target: OutboxStatus, values: dict[str, Any]) -> OutboxRecord:
        if self._dialect() == "postgresql":
            moved = self._move_once(postgres_move(target, tuple(values)), outbox_id, values, {})
            if moved is not None:
                return moved
        with self._tx(f"mark outbox row {target.value}") as session:
            return self._move_in(session, outbox_id, target, values)

    def _move_once(
        self, statement: Any, outbox_id: uuid.UUID, values: dict[str, Any], extra: dict[str, Any]
    ) -> OutboxRecord | None:
        """PostgreSQL fast path: the compare-and-set move in autocommit, one round trip.

        ``None`` when the row was not in a source status: the caller then takes the transactional
        path, which tells why (:class:`NotFound`, :class:`IllegalTransition`) or wins a race.
        """
        params = {"move_tenant_id": self.tenant_id, "move_outbox_id": outbox_id, **extra}
        params.update({f"move_{name}": value for name, value in values.items()})
        with single_statement(self._session_factory, "move outbox row", self.tenant_id) as conn:
            rows = execute_records(conn, statement, params)
        return outbox_record(cast(OutboxRow, rows[0])) if rows else None

    def _move_in(
        self, session: Session, outbox_id: uuid.UUID, target: OutboxStatus, values: dict[str, Any]
    ) -> OutboxRecord:
        """Move the row to ``target`` with ``values`` in one compare-and-set ``UPDATE ... RETURNING``.

        The update only matches a row whose status may go to ``target``; when nothing matches, the
        row is read to raise :class:`NotFound` or :class:`IllegalTransition` (its status changed
        since, if at all, only by a concurrent writer: then the update is tried again).
        """
        sources = [status for status, targets in OUTBOX_TRANSITIONS.items() if target in targets]
        while True:
            moved = session.scalars(
                update(OutboxRow)
                .where(
                    OutboxRow.tenant_id == self.tenant_id,
                    OutboxRow.id == outbox_id,
                    OutboxRow.status.in_(sources),
                )
                .values(status=target, **values)
                .returning(OutboxRow)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if moved is not None:
                return outbox_record(moved)
            row = self._load(session, outbox_id)
            check_transition(OUTBOX_TRANSITIONS, "outbox row", outbox_id, row.status, target)
            session.expire(row)
