"""The message log: inbound messages with durable dedup, outbound transcript, stuck-turn sweeps."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from storage.coltypes import ensure_utc
from storage.enums import Direction
from storage.errors import InvalidValue, NotFound
from storage.models import InboundDedup, Message
from storage.records import InboundDraft, InboundOutcome, MessageRecord
from storage.repos.base import TenantRepo
from storage.repos.convert import message_record
from storage.repos.ownership import ensure_conversation, load_conversation
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
        """
        if not draft.provider_message_id:
            raise InvalidValue(
                "provider_message_id", "empty", "pass the provider's message id; dedup depends on it"
            )
        now = self._now()
        received_at = ensure_utc(draft.received_at, "received_at") if draft.received_at else now
        with self._tx("record inbound message") as session:
            fresh = insert_ignore(
                session,
                InboundDedup,
                {
                    "tenant_id": self.tenant_id,
                    "provider_message_id": draft.provider_message_id,
                    "created_at": now,
                },
                ["tenant_id", "provider_message_id"],
            )
            if not fresh:
                existing = session.execute(
                    select(Message.id, Message.conversation_id).where(
                        Message.tenant_id == self.tenant_id,
                        Message.provider_message_id == draft.provider_message_id,
                        Message.direction == Direction.IN,
                    )
                ).first()
                return InboundOutcome(
                    duplicate=True,
                    message_id=existing[0] if existing else None,
                    conversation_id=existing[1] if existing else None,
                    customer_id=None,
                )
            customer_id, conversation_id = ensure_conversation(
                session, self.tenant_id, draft.jid, draft.push_name, now
            )
            message = Message(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                conversation_id=conversation_id,
                direction=Direction.IN,
                provider_message_id=draft.provider_message_id,
                text=draft.text,
                media=draft.media,
                received_at=received_at,
                processed=False,
            )
            session.add(message)
            conversation, _ = load_conversation(session, self.tenant_id, conversation_id)
            conversation.last_activity_at = max(conversation.last_activity_at, received_at)
            session.flush()
            return InboundOutcome(
                duplicate=False,
                message_id=message.id,
                conversation_id=conversation_id,
                customer_id=customer_id,
            )

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
