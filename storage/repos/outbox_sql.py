"""The outbox's SQL: the claim candidates, and the PostgreSQL one-statement claim and status moves.

Each statement is built once (values are bound) and, on psycopg, run as a prepared statement
(:func:`storage.driver_statement.execute_records`): the claim and the move to ``sent`` are the two
statements of every message the workers deliver.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql.dml import UpdateBase

from storage.enums import Direction, OutboxOrigin, OutboxStatus
from storage.models import Conversation, Message, OutboxRow
from storage.repos.ownership import OWNERSHIP_CANCEL_REASON
from storage.transitions import OUTBOX_TRANSITIONS

__all__ = ["claim_candidates", "postgres_claim", "postgres_move", "postgres_sent_with_transcript"]


@functools.cache
def claim_candidates(
    by_id: bool, text_only: bool = False
) -> Select[uuid.UUID, OutboxOrigin, int, int | None]:
    """Due pending rows in due order, with their conversation's current owner version.

    Bound: ``claim_tenant_id``, ``claim_now``, ``claim_limit`` (and ``claim_outbox_id`` when ``by_id``).
    ``text_only`` leaves out media rows (``payload.kind == "media"``: they have their own queue).
    """
    pending = OutboxRow.status == OutboxStatus.PENDING
    due = OutboxRow.next_attempt_at <= bindparam(
        "claim_now", type_=OutboxRow.__table__.c.next_attempt_at.type
    )
    where = [OutboxRow.tenant_id == bindparam("claim_tenant_id"), pending, due]
    if text_only:
        where.append(func.coalesce(OutboxRow.payload["kind"].as_string(), "text") != "media")
    if by_id:
        # By id, the primary key must drive the lookup. With plain comparisons the planner may pick
        # the (tenant, status, next_attempt_at) index and filter on id instead: with the statistics
        # of a table that just filled up (a backlog after an outage), it scanned every pending row
        # on every claim (3,000 rows: 7 ms per claim). ``IS TRUE`` keeps the conditions out of
        # index matching, so only the primary key is usable.
        where = [
            OutboxRow.tenant_id == bindparam("claim_tenant_id"),
            OutboxRow.id == bindparam("claim_outbox_id"),
            pending.is_(True),
            due.is_(True),
        ]
    # The conversation's owner version as a subquery of each picked row, and the order the index's
    # own (tenant, status, next_attempt_at): PostgreSQL walks the index and stops at the limit. A
    # join, or a second sort key, made it join and sort every pending row first — 300 ms per claim
    # at 8,000 pending rows with the statistics of a table that just filled up.
    current_owner_version = (
        select(Conversation.owner_version)
        .where(Conversation.tenant_id == OutboxRow.tenant_id, Conversation.id == OutboxRow.conversation_id)
        .scalar_subquery()
        .label("current_owner_version")
    )
    return (
        select(OutboxRow.id, OutboxRow.origin, OutboxRow.owner_version, current_owner_version)
        .where(*where)
        .order_by(OutboxRow.next_attempt_at)
        .limit(bindparam("claim_limit", type_=Integer))
    )


@functools.cache
def postgres_claim(by_id: bool, text_only: bool = False) -> UpdateBase:
    """PostgreSQL, the whole claim in one statement, built once (values are bound).

    ``UPDATE ... FROM (SELECT ... FOR UPDATE OF outbox SKIP LOCKED) RETURNING``: stale bot replies
    go to ``cancelled``, the rest to ``sending`` with one more attempt; returns (row, stale).
    """
    picked = claim_candidates(by_id, text_only).with_for_update(of=OutboxRow, skip_locked=True).cte("picked")
    stale = and_(
        picked.c.origin == OutboxOrigin.BOT,
        picked.c.current_owner_version.is_not(None),
        picked.c.current_owner_version != picked.c.owner_version,
    )
    status_type = OutboxRow.__table__.c.status.type
    where = [
        OutboxRow.tenant_id == bindparam("claim_tenant_id"),
        OutboxRow.id == picked.c.id,
        (OutboxRow.status == OutboxStatus.PENDING).is_(True),
    ]
    if by_id:  # the constant lets the primary key drive the update too
        where.append(OutboxRow.id == bindparam("claim_outbox_id"))
    return (
        update(OutboxRow)
        .where(*where)
        .values(
            status=case(
                (stale, literal(OutboxStatus.CANCELLED, type_=status_type)),
                else_=literal(OutboxStatus.SENDING, type_=status_type),
            ),
            attempts=case((stale, OutboxRow.attempts), else_=OutboxRow.attempts + 1),
            send_started_at=case(
                (stale, OutboxRow.send_started_at),
                else_=bindparam("claim_now", type_=OutboxRow.__table__.c.send_started_at.type),
            ),
            last_error=case((stale, OWNERSHIP_CANCEL_REASON), else_=OutboxRow.last_error),
        )
        .returning(*OutboxRow.__table__.c, stale.label("stale"))
    )


@functools.cache
def postgres_move(target: OutboxStatus, names: tuple[str, ...]) -> UpdateBase:
    """PostgreSQL: the compare-and-set status move as one statement (values bound as ``move_<name>``)."""
    columns = OutboxRow.__table__.c
    sources = [status for status, targets in OUTBOX_TRANSITIONS.items() if target in targets]
    return (
        update(OutboxRow)
        .where(
            OutboxRow.tenant_id == bindparam("move_tenant_id"),
            OutboxRow.id == bindparam("move_outbox_id"),
            # Equalities, not IN (an expanding IN cannot be prepared once); IS TRUE lets the primary
            # key drive it (see claim_candidates).
            or_(*(OutboxRow.status == source for source in sources)).is_(True),
        )
        .values(status=target, **{n: bindparam(f"move_{n}", type_=columns[n].type) for n in names})
        .returning(*columns)
    )


_TRANSCRIPT_COLUMNS = [
    *("tenant_id", "id", "conversation_id", "direction", "provider_message_id"),
    *("text", "media", "received_at", "processed"),
]


@functools.cache
def postgres_sent_with_transcript(names: tuple[str, ...]) -> Select[Any]:
    """PostgreSQL: move to ``sent`` AND append the transcript message, one statement.

    The message insert selects from the moved row, so it only happens when the move matched (and
    the row has a conversation); the result is the moved row, or nothing.
    """
    moved = postgres_move(OutboxStatus.SENT, names).cte("moved")
    message_columns = Message.__table__.c
    transcript = insert(Message).from_select(
        _TRANSCRIPT_COLUMNS,
        select(
            moved.c.tenant_id,
            bindparam("message_id", type_=message_columns.id.type),
            moved.c.conversation_id,
            literal(Direction.OUT, type_=message_columns.direction.type),
            moved.c.provider_message_id,
            bindparam("message_text", type_=message_columns.text.type),
            bindparam("message_media", type_=message_columns.media.type),
            moved.c.sent_at,
            literal(True),
        ).where(moved.c.conversation_id.is_not(None)),
    )
    return select(moved).add_cte(transcript.cte("transcript"))
