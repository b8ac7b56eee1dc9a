"""Shared in-transaction steps: find-or-create a conversation, change its owner."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.enums import OutboxOrigin, OutboxStatus, Owner
from storage.errors import NotFound, StaleWrite
from storage.models import Conversation, Customer, OutboxRow
from storage.sqlutil import insert_ignore

__all__ = ["OWNERSHIP_CANCEL_REASON", "change_owner", "ensure_conversation", "load_conversation"]

OWNERSHIP_CANCEL_REASON = "cancelled: conversation ownership changed after this bot reply was computed"


def ensure_conversation(
    session: Session, tenant_id: str, jid: str, push_name: str | None, now: datetime
) -> tuple[uuid.UUID, uuid.UUID]:
    """Get or create the customer with ``jid`` and its conversation; returns (customer, conversation) ids.

    Race-safe: concurrent callers converge on the same rows through ON CONFLICT DO NOTHING.
    """
    insert_ignore(
        session,
        Customer,
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "jid": jid,
            "push_name": push_name,
            "first_seen_at": now,
            "last_seen_at": now,
        },
        ["tenant_id", "jid"],
    )
    values: dict[str, object] = {"last_seen_at": now}
    if push_name:
        values["push_name"] = push_name
    customer_id = session.execute(
        update(Customer)
        .where(Customer.tenant_id == tenant_id, Customer.jid == jid)
        .values(**values)
        .returning(Customer.id)
    ).scalar_one()
    insert_ignore(
        session,
        Conversation,
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "customer_id": customer_id,
            "state_version": 0,
            "owner": Owner.BOT,
            "owner_version": 0,
            "muted": False,
            "last_activity_at": now,
            "created_at": now,
        },
        ["tenant_id", "customer_id"],
    )
    conversation_id = session.execute(
        select(Conversation.id).where(
            Conversation.tenant_id == tenant_id, Conversation.customer_id == customer_id
        )
    ).scalar_one()
    return customer_id, conversation_id


def load_conversation(
    session: Session, tenant_id: str, conversation_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Conversation, str]:
    """The conversation row and its customer's JID, or :class:`NotFound`."""
    stmt = (
        select(Conversation, Customer.jid)
        .join(
            Customer,
            (Customer.tenant_id == Conversation.tenant_id) & (Customer.id == Conversation.customer_id),
        )
        .where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Conversation)
    row = session.execute(stmt).one_or_none()
    if row is None:
        raise NotFound("conversation", tenant_id, conversation_id)
    return row[0], row[1]


def change_owner(
    session: Session,
    tenant_id: str,
    conversation_id: uuid.UUID,
    owner: Owner,
    *,
    expected_owner_version: int | None = None,
) -> int:
    """Set the owner, bump ``owner_version`` and cancel bot replies computed under the old owner.

    Returns the new owner version; raises :class:`StaleWrite` if ``expected_owner_version`` is stale.
    """
    conversation, _ = load_conversation(session, tenant_id, conversation_id, for_update=True)
    if expected_owner_version is not None and conversation.owner_version != expected_owner_version:
        raise StaleWrite(
            "conversation owner", conversation_id, expected_owner_version, conversation.owner_version
        )
    conversation.owner = owner
    conversation.owner_version += 1
    session.flush()
    session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.tenant_id == tenant_id,
            OutboxRow.conversation_id == conversation_id,
            OutboxRow.origin == OutboxOrigin.BOT,
            OutboxRow.status == OutboxStatus.PENDING,
            OutboxRow.owner_version < conversation.owner_version,
        )
        .values(status=OutboxStatus.CANCELLED, last_error=OWNERSHIP_CANCEL_REASON)
    )
    return conversation.owner_version
