"""A decided turn, written atomically: decision + trace, new engine state, and the outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from storage.enums import Direction
from storage.errors import InvalidValue, NotFound, StaleWrite
from storage.models import Conversation, Message
from storage.records import OutboxDraft, TurnOutcome
from storage.repos.base import TenantRepo
from storage.repos.outbox import insert_outbox

__all__ = ["Turns"]


class Turns(TenantRepo):
    """Writes the outcome of one engine turn for one tenant."""

    def complete(
        self,
        conversation_id: uuid.UUID,
        message_ids: Sequence[uuid.UUID],
        *,
        decision: dict[str, Any],
        trace: Any,
        expected_state_version: int,
        owner_version: int,
        state: bytes | None = None,
        outbox: Sequence[OutboxDraft] = (),
    ) -> TurnOutcome:
        """Store the decision of the turn made of ``message_ids``, in ONE transaction.

        The decision and trace go on the last message; every message of the turn becomes processed.
        The engine state is compare-and-set on ``expected_state_version`` (``state=None`` keeps it
        but still bumps the version). Outbox rows capture ``owner_version``, the ownership the
        engine saw, so a reply computed before a manager takeover is cancelled, never sent.
        Raises :class:`StaleWrite` (and writes nothing) if another turn won the race.
        """
        if not message_ids:
            raise InvalidValue("message_ids", "empty", "pass the ids of the inbound messages of this turn")
        now = self._now()
        with self._tx("complete turn") as session:
            values: dict[str, Any] = {
                "state_version": Conversation.state_version + 1,
                "last_activity_at": now,
            }
            if state is not None:
                values["state"] = state
            new_version = session.execute(
                update(Conversation)
                .where(
                    Conversation.tenant_id == self.tenant_id,
                    Conversation.id == conversation_id,
                    Conversation.state_version == expected_state_version,
                )
                .values(**values)
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
                raise StaleWrite("conversation state", conversation_id, expected_state_version, current)
            marked = cast(
                CursorResult[Any],
                session.execute(
                    update(Message)
                    .where(
                        Message.tenant_id == self.tenant_id,
                        Message.conversation_id == conversation_id,
                        Message.direction == Direction.IN,
                        Message.processed.is_(False),
                        Message.id.in_(list(message_ids)),
                    )
                    .values(processed=True, decided_at=now)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if marked != len(set(message_ids)):
                raise StaleWrite(
                    "turn messages of conversation",
                    conversation_id,
                    len(set(message_ids)),
                    marked,
                    what="unprocessed inbound messages",
                )
            session.execute(
                update(Message)
                .where(Message.tenant_id == self.tenant_id, Message.id == message_ids[-1])
                .values(decision=decision, trace=trace)
                .execution_options(synchronize_session=False)
            )
            outbox_ids = tuple(
                insert_outbox(session, self.tenant_id, draft, owner_version, now) for draft in outbox
            )
            return TurnOutcome(state_version=new_version, outbox_ids=outbox_ids)
