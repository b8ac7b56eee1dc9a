"""The SQL of an inbound message's first delivery: PostgreSQL's one-statement CTE and its values.

:class:`~storage.repos.messages.Messages` runs it on a pooled connection; the web edge's
:class:`~storage.inbound_writer.InboundWriter` runs many of them in one transaction (group commit).
Both get the statement and its values from here, so the two paths write exactly the same rows.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from storage.driver_statement import DriverStatement, prepared
from storage.enums import Direction, Owner
from storage.models import Base, Conversation, Customer, InboundDedup, Message
from storage.records import InboundDraft

__all__ = [
    "INBOUND_PREFIXES",
    "InboundRows",
    "InboundWrite",
    "conversation_changes",
    "customer_changes",
    "first_delivery_query",
    "inbound_cte",
    "inbound_params",
    "inbound_rows",
    "prepare_inbound_write",
]

InboundRows = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]
"""Column values of the dedup key, the customer, the conversation and the message."""


def customer_changes(excluded: Any, update_push_name: bool) -> dict[str, Any]:
    """A known customer: ``last_seen_at`` moves; ``push_name`` only when the message carries one."""
    changes: dict[str, Any] = {"last_seen_at": excluded.last_seen_at}
    if update_push_name:
        changes["push_name"] = excluded.push_name
    return changes


def conversation_changes(received_at: datetime) -> dict[str, Any]:
    """A known conversation: ``last_activity_at`` becomes the later of itself and ``received_at``."""
    received = literal(received_at, type_=Conversation.__table__.c.last_activity_at.type)
    return {
        "last_activity_at": case(
            (Conversation.last_activity_at < received, received), else_=Conversation.last_activity_at
        )
    }


INBOUND_PREFIXES = ("dedup", "customer", "conversation", "message")


def _binds(model: type[Base], prefix: str, names: tuple[str, ...]) -> list[Any]:
    """Typed bind parameters ``{prefix}_{name}``, labelled by column, for an ``INSERT ... SELECT``."""
    columns = model.__table__.c
    return [bindparam(f"{prefix}_{name}", type_=columns[name].type).label(name) for name in names]


@functools.cache
def inbound_cte(
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
            set_=customer_changes(customer_insert.excluded, update_push_name),
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
def first_delivery_query() -> Select[uuid.UUID, uuid.UUID]:
    """The stored first delivery of a provider message id (built once; values are bound)."""
    return select(Message.id, Message.conversation_id).where(
        Message.tenant_id == bindparam("dup_tenant_id"),
        Message.provider_message_id == bindparam("dup_provider_message_id"),
        Message.direction == Direction.IN,
    )


def inbound_rows(tenant_id: str, draft: InboundDraft, now: datetime, received_at: datetime) -> InboundRows:
    """Column values of the dedup key, customer, conversation and message a first delivery writes."""
    dedup = {
        "tenant_id": tenant_id,
        "provider_message_id": draft.provider_message_id,
        "created_at": now,
    }
    customer = {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "jid": draft.jid,
        "push_name": draft.push_name,
        "first_seen_at": now,
        "last_seen_at": now,
    }
    conversation = {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "state_version": 0,
        "owner": Owner.BOT,
        "owner_version": 0,
        "muted": False,
        "last_activity_at": max(now, received_at),
        "created_at": now,
    }
    message = {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "direction": Direction.IN,
        "provider_message_id": draft.provider_message_id,
        "text": draft.text,
        "media": draft.media,
        "received_at": received_at,
        "processed": False,
    }
    return dedup, customer, conversation, message


def inbound_params(rows: InboundRows, received_at: datetime) -> dict[str, Any]:
    """The CTE's bind values: ``{prefix}_{column}`` for every row, plus ``received_at``."""
    params = {
        f"{prefix}_{name}": value
        for prefix, values in zip(INBOUND_PREFIXES, rows, strict=True)
        for name, value in values.items()
    }
    params["received_at"] = received_at
    return params


@dataclass(frozen=True, slots=True)
class InboundWrite:
    """One first delivery, compiled for psycopg: the CTE with its values, and the duplicate lookup.

    ``params`` are as psycopg takes them (SQLAlchemy's bind processors applied). The CTE returns one
    row (message id, conversation id, customer id), or none for a duplicate; only then is
    :meth:`lookup_params` built, for ``lookup_sql`` to find (message id, conversation id) of the
    stored first delivery.
    """

    tenant_id: str
    provider_message_id: str
    jid: str
    sql: str
    params: dict[str, Any]
    lookup: DriverStatement

    @property
    def lookup_sql(self) -> str:
        return self.lookup.sql

    def lookup_params(self) -> dict[str, Any]:
        return self.lookup.parameters(
            {"dup_tenant_id": self.tenant_id, "dup_provider_message_id": self.provider_message_id}
        )

    @property
    def lock_order(self) -> tuple[str, str, str]:
        """Writes of one transaction run in this order, so two transactions lock rows alike."""
        return (self.tenant_id, self.jid, self.provider_message_id)


def prepare_inbound_write(
    dialect: Dialect, tenant_id: str, draft: InboundDraft, now: datetime, received_at: datetime
) -> InboundWrite:
    """The compiled first delivery of ``draft`` (PostgreSQL + psycopg only)."""
    rows = inbound_rows(tenant_id, draft, now, received_at)
    shape = tuple(tuple(values) for values in rows)
    statement: DriverStatement = prepared(inbound_cte(shape, bool(draft.push_name)), dialect)
    return InboundWrite(
        tenant_id=tenant_id,
        provider_message_id=draft.provider_message_id,
        jid=draft.jid,
        sql=statement.sql,
        params=statement.parameters(inbound_params(rows, received_at)),
        lookup=prepared(first_delivery_query(), dialect),
    )
