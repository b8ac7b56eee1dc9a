"""The message log: inbound messages with durable dedup, outbound transcript, stuck-turn sweeps."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, delete, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from storage.coltypes import ensure_utc
from storage.driver_statement import execute_first
from storage.enums import Direction
from storage.errors import InvalidValue, NotFound
from storage.models import Conversation, Customer, InboundDedup, Message
from storage.records import InboundDraft, InboundOutcome, MessageRecord
from storage.repos.base import TenantRepo, single_statement
from storage.repos.convert import message_record
from storage.repos.inbound_sql import (
    InboundWrite,
    conversation_changes,
    customer_changes,
    first_delivery_query,
    inbound_cte,
    inbound_params,
    inbound_rows,
    prepare_inbound_write,
)
from storage.repos.ownership import load_conversation
from storage.sqlutil import insert_ignore

__all__ = ["DEFAULT_SWEEP_LIMIT", "Messages"]

DEFAULT_SWEEP_LIMIT = 100
"""How many stuck rows a sweep returns at most."""


class Messages(TenantRepo):
    """One tenant's messages."""

    def record_inbound(self, draft: InboundDraft) -> InboundOutcome:
        """Store an inbound message once per provider id, in one transaction.

        Returns ``duplicate=True`` (and the id of the message stored the first time) instead of
        raising when the provider id was seen before; nothing is written in that case.

        PostgreSQL: dedup key, customer, conversation and message in ONE statement (a CTE of
        ``INSERT ... ON CONFLICT ... RETURNING``, every write gated on the dedup insert winning);
        SQLite: the same four statements one after another under the write lock.
        """
        now, received_at = self._inbound_times(draft)
        first = first_delivery_query()
        key = {"dup_tenant_id": self.tenant_id, "dup_provider_message_id": draft.provider_message_id}
        existing: Any
        if self._dialect() == "postgresql":
            # One statement, its own transaction (autocommit): one round trip for the whole store.
            with single_statement(self._session_factory, "record inbound message", self.tenant_id) as conn:
                ids = self._insert_inbound_cte(conn, draft, now, received_at)
                # A duplicate: a new statement (hence a fresh snapshot) sees the message a
                # concurrent first delivery committed while our dedup insert waited on it.
                existing = None if ids is not None else conn.execute(first, key).first()
        else:
            with self._tx("record inbound message") as session:
                ids = self._insert_inbound_steps(session, draft, now, received_at)
                existing = None if ids is not None else session.execute(first, key).first()
        if ids is not None:
            message_id, conversation_id, customer_id = ids
            return InboundOutcome(
                duplicate=False,
                message_id=message_id,
                conversation_id=conversation_id,
                customer_id=customer_id,
            )
        return InboundOutcome(
            duplicate=True,
            message_id=existing[0] if existing else None,
            conversation_id=existing[1] if existing else None,
            customer_id=None,
        )

    def _insert_inbound_cte(
        self, conn: Connection, draft: InboundDraft, now: datetime, received_at: datetime
    ) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID] | None:
        """PostgreSQL, one round trip: (message, conversation, customer) ids, or None on a duplicate.

        Concurrency is that of the step-by-step version: the dedup insert waits for a concurrent
        insert of the same key and then conflicts; the customer and conversation upserts
        (``DO UPDATE ... RETURNING``) return the row a concurrent first message created.
        """
        rows = inbound_rows(self.tenant_id, draft, now, received_at)
        statement = inbound_cte(tuple(tuple(values) for values in rows), bool(draft.push_name))
        row = execute_first(conn, statement, inbound_params(rows, received_at))
        return None if row is None else (row[0], row[1], row[2])

    def _insert_inbound_steps(
        self, session: Session, draft: InboundDraft, now: datetime, received_at: datetime
    ) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID] | None:
        """SQLite (writers serialised by BEGIN IMMEDIATE): the same writes as four statements."""
        dedup_values, customer_values, conversation_values, message_values = inbound_rows(
            self.tenant_id, draft, now, received_at
        )
        if not insert_ignore(session, InboundDedup, dedup_values, ["tenant_id", "provider_message_id"]):
            return None
        customer_insert = sqlite.insert(Customer).values(**customer_values)
        customer_id = session.execute(
            customer_insert.on_conflict_do_update(
                index_elements=["tenant_id", "jid"],
                set_=customer_changes(customer_insert.excluded, bool(draft.push_name)),
            ).returning(Customer.id)
        ).scalar_one()
        conversation_id = session.execute(
            sqlite.insert(Conversation)
            .values(**conversation_values, customer_id=customer_id)
            .on_conflict_do_update(
                index_elements=["tenant_id", "customer_id"], set_=conversation_changes(received_at)
            )
            .returning(Conversation.id)
        ).scalar_one()
        message_id = session.execute(
            sqlite.insert(Message)
            .values(**message_values, conversation_id=conversation_id)
            .returning(Message.id)
        ).scalar_one()
        return message_id, conversation_id, customer_id

    def prepare_inbound(self, draft: InboundDraft) -> InboundWrite:
        """``draft``'s first delivery compiled for a batch writer (PostgreSQL + psycopg only).

        :class:`~storage.inbound_writer.InboundWriter` runs many of these in one transaction; the
        rows written are exactly those of :meth:`record_inbound`.
        """
        dialect = self._session_factory.kw["bind"].dialect
        if dialect.name != "postgresql" or dialect.driver != "psycopg":
            raise InvalidValue(
                "database",
                f"{dialect.name}+{dialect.driver} cannot run a batched inbound write",
                "use record_inbound (the batch writer runs on PostgreSQL through psycopg only)",
            )
        now, received_at = self._inbound_times(draft)
        return prepare_inbound_write(dialect, self.tenant_id, draft, now, received_at)

    def _inbound_times(self, draft: InboundDraft) -> tuple[datetime, datetime]:
        """(now, received_at) of an inbound message, after checking it has a provider id."""
        if not draft.provider_message_id:
            raise InvalidValue(
                "provider_message_id", "empty", "pass the provider's message id; dedup depends on it"
            )
        now = self._now()
        return now, ensure_utc(draft.received_at, "received_at") if draft.received_at else now

    def record_outbound(
        self,
        conversation_id: uuid.UUID,
        text: str | None,
        *,
        provider_message_id: str | None = None,
        media: dict[str, object] | None = None,
        sent_at: datetime | None = None,
    ) -> MessageRecord:
        """Append a message we sent to the transcript."""
        with self._tx("record outbound message") as session:
            load_conversation(session, self.tenant_id, conversation_id)
            message = Message(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                conversation_id=conversation_id,
                direction=Direction.OUT,
                provider_message_id=provider_message_id,
                text=text,
                media=media,
                received_at=ensure_utc(sent_at, "sent_at") if sent_at else self._now(),
                processed=True,
            )
            session.add(message)
            session.flush()
            return message_record(message)

    def get(self, message_id: uuid.UUID) -> MessageRecord:
        with self._tx("get message") as session:
            row = session.get(Message, (self.tenant_id, message_id))
            if row is None:
                raise NotFound("message", self.tenant_id, message_id)
            return message_record(row)

    def list_for_conversation(self, conversation_id: uuid.UUID, *, limit: int = 50) -> list[MessageRecord]:
        """The latest ``limit`` messages of a conversation, oldest first."""
        with self._tx("list messages") as session:
            rows = session.scalars(
                select(Message)
                .where(Message.tenant_id == self.tenant_id, Message.conversation_id == conversation_id)
                .order_by(Message.received_at.desc(), Message.id.desc())
                .limit(limit)
            ).all()
            return [message_record(r) for r in reversed(rows)]

    def unprocessed(self, conversation_id: uuid.UUID) -> list[MessageRecord]:
        """Inbound messages of a conversation not yet decided on: the next turn, oldest first."""
        with self._tx("list unprocessed messages") as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.tenant_id == self.tenant_id,
                    Message.conversation_id == conversation_id,
                    Message.processed.is_(False),
                    Message.direction == Direction.IN,
                )
                .order_by(Message.received_at, Message.id)
            ).all()
            return [message_record(r) for r in rows]

    def find_stuck_inbound(
        self, older_than: timedelta, *, limit: int = DEFAULT_SWEEP_LIMIT
    ) -> list[MessageRecord]:
        """Inbound messages stored more than ``older_than`` ago and still not processed."""
        cutoff = self._now() - older_than
        with self._tx("find stuck inbound messages") as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.tenant_id == self.tenant_id,
                    Message.processed.is_(False),
                    Message.direction == Direction.IN,
                    Message.received_at < cutoff,
                )
                .order_by(Message.received_at, Message.id)
                .limit(limit)
            ).all()
            return [message_record(r) for r in rows]

    def prune_dedup(self, older_than: timedelta) -> int:
        """Forget dedup keys older than ``older_than`` (providers stop retrying long before)."""
        cutoff = self._now() - older_than
        with self._tx("prune inbound dedup") as session:
            result = session.execute(
                delete(InboundDedup).where(
                    InboundDedup.tenant_id == self.tenant_id, InboundDedup.created_at < cutoff
                )
            )
            return int(cast(CursorResult[Any], result).rowcount)
