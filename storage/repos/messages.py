"""The message log: inbound messages with durable dedup, outbound transcript, stuck-turn sweeps."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Select, bindparam, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.coltypes import ensure_utc
from storage.driver_statement import execute_first
from storage.enums import Direction, Owner
from storage.errors import InvalidValue, NotFound
from storage.models import Base, Conversation, Customer, InboundDedup, Message
from storage.records import InboundDraft, InboundOutcome, MessageRecord
from storage.repos.base import TenantRepo, single_statement
from storage.repos.convert import message_record
from storage.repos.ownership import load_conversation
from storage.sqlutil import insert_ignore

__all__ = ["DEFAULT_SWEEP_LIMIT", "Messages"]

DEFAULT_SWEEP_LIMIT = 100
"""How many stuck rows a sweep returns at most."""


def _customer_changes(excluded: Any, update_push_name: bool) -> dict[str, Any]:
    """A known customer: ``last_seen_at`` moves; ``push_name`` only when the message carries one."""
    changes: dict[str, Any] = {"last_seen_at": excluded.last_seen_at}
    if update_push_name:
        changes["push_name"] = excluded.push_name
    return changes


def _conversation_changes(received_at: datetime) -> dict[str, Any]:
    """A known conversation: ``last_activity_at`` becomes the later of itself and ``received_at``."""
    received = literal(received_at, type_=Conversation.__table__.c.last_activity_at.type)
    return {
        "last_activity_at": case(
            (Conversation.last_activity_at < received, received), else_=Conversation.last_activity_at
        )
    }


_PREFIXES = ("dedup", "customer", "conversation", "message")


def _binds(model: type[Base], prefix: str, names: tuple[str, ...]) -> list[Any]:
    """Typed bind parameters ``{prefix}_{name}``, labelled by column, for an ``INSERT ... SELECT``."""
    columns = model.__table__.c
    return [bindparam(f"{prefix}_{name}", type_=columns[name].type).label(name) for name in names]


@functools.cache
def _inbound_cte(
    shape: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], update_push_name: bool
) -> Select[Any]:
    """The one-statement first delivery for PostgreSQL, built once per shape (values are bound).

    Every write is gated on the dedup insert winning, so a duplicate writes nothing; the statement
    returns one row (message id, conversation id, customer id), or none for a duplicate.
    """
    dedup_names, customer_names, conversation_names, message_names = shape
    dedup = (
        postgresql.insert(InboundDedup)
        .from_select(list(dedup_names), select(*_binds(InboundDedup, "dedup", dedup_names)))
        .on_conflict_do_nothing(index_elements=["tenant_id", "provider_message_id"])
        .returning(InboundDedup.provider_message_id)
        .cte("dedup")
    )
    fresh = select(dedup.c.provider_message_id).exists()
    customer_insert = postgresql.insert(Customer).from_select(
        list(customer_names), select(*_binds(Customer, "customer", customer_names)).where(fresh)
    )
    customer = (
        customer_insert.on_conflict_do_update(
            index_elements=["tenant_id", "jid"],
            set_=_customer_changes(customer_insert.excluded, update_push_name),
        )
        .returning(Customer.id)
        .cte("customer")
    )
    conversation_insert = postgresql.insert(Conversation).from_select(
        [*conversation_names, "customer_id"],
        select(*_binds(Conversation, "conversation", conversation_names), customer.c.id),
    )
    received = bindparam("received_at", type_=Conversation.__table__.c.last_activity_at.type)
    conversation = (
        conversation_insert.on_conflict_do_update(
            index_elements=["tenant_id", "customer_id"],
            set_={
                "last_activity_at": case(
                    (Conversation.last_activity_at < received, received), else_=Conversation.last_activity_at
                )
            },
        )
        .returning(Conversation.id, Conversation.customer_id)
        .cte("conversation")
    )
    message = (
        postgresql.insert(Message)
        .from_select(
            [*message_names, "conversation_id"],
            select(*_binds(Message, "message", message_names), conversation.c.id),
        )
        .returning(Message.id, Message.conversation_id)
        .cte("message")
    )
    return select(message.c.id, conversation.c.id, conversation.c.customer_id).join_from(
        message, conversation, message.c.conversation_id == conversation.c.id
    )


@functools.cache
def _first_delivery_query() -> Select[uuid.UUID, uuid.UUID]:
    """The stored first delivery of a provider message id (built once; values are bound)."""
    return select(Message.id, Message.conversation_id).where(
        Message.tenant_id == bindparam("dup_tenant_id"),
        Message.provider_message_id == bindparam("dup_provider_message_id"),
        Message.direction == Direction.IN,
    )


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
        if not draft.provider_message_id:
            raise InvalidValue(
                "provider_message_id", "empty", "pass the provider's message id; dedup depends on it"
            )
        now = self._now()
        received_at = ensure_utc(draft.received_at, "received_at") if draft.received_at else now
        first = _first_delivery_query()
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

    def _inbound_rows(
        self, draft: InboundDraft, now: datetime, received_at: datetime
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        """Column values of the dedup key, customer, conversation and message a first delivery writes."""
        dedup = {
            "tenant_id": self.tenant_id,
            "provider_message_id": draft.provider_message_id,
            "created_at": now,
        }
        customer = {
            "tenant_id": self.tenant_id,
            "id": uuid.uuid4(),
            "jid": draft.jid,
            "push_name": draft.push_name,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        conversation = {
            "tenant_id": self.tenant_id,
            "id": uuid.uuid4(),
            "state_version": 0,
            "owner": Owner.BOT,
            "owner_version": 0,
            "muted": False,
            "last_activity_at": max(now, received_at),
            "created_at": now,
        }
        message = {
            "tenant_id": self.tenant_id,
            "id": uuid.uuid4(),
            "direction": Direction.IN,
            "provider_message_id": draft.provider_message_id,
            "text": draft.text,
            "media": draft.media,
            "received_at": received_at,
            "processed": False,
        }
        return dedup, customer, conversation, message

    def _insert_inbound_cte(
        self, conn: Connection, draft: InboundDraft, now: datetime, received_at: datetime
    ) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID] | None:
        """PostgreSQL, one round trip: (message, conversation, customer) ids, or None on a duplicate.

        Concurrency is that of the step-by-step version: the dedup insert waits for a concurrent
        insert of the same key and then conflicts; the customer and conversation upserts
        (``DO UPDATE ... RETURNING``) return the row a concurrent first message created.
        """
        rows = self._inbound_rows(draft, now, received_at)
        shape = tuple(tuple(values) for values in rows)
        params = {
            f"{prefix}_{name}": value
            for prefix, values in zip(_PREFIXES, rows, strict=True)
            for name, value in values.items()
        }
        params["received_at"] = received_at
        row = execute_first(conn, _inbound_cte(shape, bool(draft.push_name)), params)
        return None if row is None else (row[0], row[1], row[2])

    def _insert_inbound_steps(
        self, session: Session, draft: InboundDraft, now: datetime, received_at: datetime
    ) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID] | None:
        """SQLite (writers serialised by BEGIN IMMEDIATE): the same writes as four statements."""
        dedup_values, customer_values, conversation_values, message_values = self._inbound_rows(
            draft, now, received_at
        )
        if not insert_ignore(session, InboundDedup, dedup_values, ["tenant_id", "provider_message_id"]):
            return None
        customer_insert = sqlite.insert(Customer).values(**customer_values)
        customer_id = session.execute(
            customer_insert.on_conflict_do_update(
                index_elements=["tenant_id", "jid"],
                set_=_customer_changes(customer_insert.excluded, bool(draft.push_name)),
            ).returning(Customer.id)
        ).scalar_one()
        conversation_id = session.execute(
            sqlite.insert(Conversation)
            .values(**conversation_values, customer_id=customer_id)
            .on_conflict_do_update(
                index_elements=["tenant_id", "customer_id"], set_=_conversation_changes(received_at)
            )
            .returning(Conversation.id)
        ).scalar_one()
        message_id = session.execute(
            sqlite.insert(Message)
            .values(**message_values, conversation_id=conversation_id)
            .returning(Message.id)
        ).scalar_one()
        return message_id, conversation_id, customer_id

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
