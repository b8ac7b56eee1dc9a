"""Customers and their conversations: lookup by JID, versioned engine state, ownership."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from storage.enums import Owner
from storage.errors import NotFound, StaleWrite
from storage.models import Conversation, Customer
from storage.records import ConversationRecord, CustomerRecord
from storage.repos.base import TenantRepo
from storage.repos.convert import conversation_record, customer_record
from storage.repos.ownership import change_owner, ensure_conversation, load_conversation

__all__ = ["Conversations"]


class Conversations(TenantRepo):
    """One tenant's customers and conversations."""

    def get_or_create(self, jid: str, *, push_name: str | None = None) -> ConversationRecord:
        """The conversation of the customer with ``jid``, creating both if new."""
        with self._tx("get_or_create conversation") as session:
            _, conversation_id = ensure_conversation(session, self.tenant_id, jid, push_name, self._now())
            row, found_jid = load_conversation(session, self.tenant_id, conversation_id)
            return conversation_record(row, found_jid)

    def get(self, conversation_id: uuid.UUID) -> ConversationRecord:
        with self._tx("get conversation") as session:
            row, jid = load_conversation(session, self.tenant_id, conversation_id)
            return conversation_record(row, jid)

    def find_by_jid(self, jid: str) -> ConversationRecord | None:
        with self._tx("find conversation by jid") as session:
            conversation_id = session.execute(
                select(Conversation.id)
                .join(
                    Customer,
                    (Customer.tenant_id == Conversation.tenant_id)
                    & (Customer.id == Conversation.customer_id),
                )
                .where(Customer.tenant_id == self.tenant_id, Customer.jid == jid)
            ).scalar_one_or_none()
            if conversation_id is None:
                return None
            row, found_jid = load_conversation(session, self.tenant_id, conversation_id)
            return conversation_record(row, found_jid)

    def get_customer(self, customer_id: uuid.UUID) -> CustomerRecord:
        with self._tx("get customer") as session:
            row = session.get(Customer, (self.tenant_id, customer_id))
            if row is None:
                raise NotFound("customer", self.tenant_id, customer_id)
            return customer_record(row)

    def save_state(self, conversation_id: uuid.UUID, state: bytes, *, expected_version: int) -> int:
        """Compare-and-set the engine state; returns the new version or raises :class:`StaleWrite`."""
        with self._tx("save conversation state") as session:
            new_version = session.execute(
                update(Conversation)
                .where(
                    Conversation.tenant_id == self.tenant_id,
                    Conversation.id == conversation_id,
                    Conversation.state_version == expected_version,
                )
                .values(
                    state=state, state_version=Conversation.state_version + 1, last_activity_at=self._now()
                )
                .returning(Conversation.state_version)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if new_version is None:
                current = session.execute(
                    select(Conversation.state_version).where(
                        Conversation.tenant_id == self.tenant_id, Conversation.id == conversation_id
                    )
                ).scalar_one_or_none()
                if current is None:
                    raise NotFound("conversation", self.tenant_id, conversation_id)
                raise StaleWrite("conversation state", conversation_id, expected_version, current)
            return new_version

    def set_owner(
        self, conversation_id: uuid.UUID, owner: Owner, *, expected_owner_version: int | None = None
    ) -> ConversationRecord:
        """Hand the conversation to ``owner``; bumps ``owner_version`` and cancels stale bot replies."""
        with self._tx("change conversation owner") as session:
            change_owner(
                session,
                self.tenant_id,
                conversation_id,
                Owner(owner),
                expected_owner_version=expected_owner_version,
            )
            row, jid = load_conversation(session, self.tenant_id, conversation_id)
            return conversation_record(row, jid)

    def set_muted(self, conversation_id: uuid.UUID, muted: bool) -> ConversationRecord:
        with self._tx("mute conversation") as session:
            row, jid = load_conversation(session, self.tenant_id, conversation_id, for_update=True)
            row.muted = muted
            session.flush()
            return conversation_record(row, jid)
