"""Read-only numbers for the admin routes: health of the moving parts, per-tenant daily SLA.

Tenant scope is the constructor argument of :class:`TenantStats`; every query filters on it.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text

from storage import Direction, OutboxStatus, SessionFactory
from storage.models import Message, OutboxRow

__all__ = ["TenantStats", "percentile", "ping_database"]

OOD_INTENTS = frozenset({"off_topic", "ood"})


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ping_database(session_factory: SessionFactory) -> str:
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return f"down: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return "ok"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class TenantStats:
    def __init__(self, session_factory: SessionFactory, tenant_id: str) -> None:
        self._sessions = session_factory
        self.tenant_id = tenant_id

    def health(self, now: datetime) -> dict[str, Any]:
        """Outbox backlog, age of the oldest pending row, time of the last inbound message."""
        with self._sessions() as session:
            backlog, oldest = session.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(
                    OutboxRow.tenant_id == self.tenant_id,
                    OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                )
            ).one()
            last = session.execute(
                select(func.max(Message.received_at)).where(
                    Message.tenant_id == self.tenant_id, Message.direction == Direction.IN
                )
            ).scalar_one()
        return {
            "outbox_backlog": int(backlog),
            "oldest_pending_age_seconds": round((now - _aware(oldest)).total_seconds(), 3)
            if oldest
            else None,
            "last_inbound_at": _aware(last).isoformat() if last else None,
        }

    def day(self, day: date) -> dict[str, Any]:
        """Counts, SLA percentiles and rates for one UTC day."""
        start = datetime.combine(day, time(0), tzinfo=UTC)
        end = start + timedelta(days=1)
        with self._sessions() as session:
            messages = session.execute(
                select(Message.id, Message.received_at, Message.decided_at, Message.decision).where(
                    Message.tenant_id == self.tenant_id,
                    Message.direction == Direction.IN,
                    Message.received_at >= start,
                    Message.received_at < end,
                )
            ).all()
            rows = session.execute(
                select(
                    OutboxRow.status,
                    OutboxRow.attempts,
                    OutboxRow.created_at,
                    OutboxRow.sent_at,
                    OutboxRow.payload,
                ).where(
                    OutboxRow.tenant_id == self.tenant_id,
                    OutboxRow.created_at >= start,
                    OutboxRow.created_at < end,
                )
            ).all()
        received = {m.id: _aware(m.received_at) for m in messages}
        decided = [m for m in messages if m.decision is not None and m.decided_at is not None]
        actions = Counter(str(m.decision.get("action")) for m in decided)
        turns = len(decided)
        ood = sum(1 for m in decided if str(m.decision.get("intent")) in OOD_INTENTS)
        to_decided = [(_aware(m.decided_at) - _aware(m.received_at)).total_seconds() for m in decided]
        to_sent: list[float] = []
        received_to_sent: list[float] = []
        for row in rows:
            if row.sent_at is None:
                continue
            to_sent.append((_aware(row.sent_at) - _aware(row.created_at)).total_seconds())
            reply_to = received.get(_uuid(row.payload.get("reply_to")))
            if reply_to is not None:
                received_to_sent.append((_aware(row.sent_at) - reply_to).total_seconds())
        statuses = Counter(str(row.status) for row in rows)
        return {
            "tenant": self.tenant_id,
            "date": day.isoformat(),
            "inbound_messages": len(messages),
            "turns": turns,
            "actions": dict(actions),
            "rates": {
                "escalation": _rate(actions["escalate"], turns),
                "clarify": _rate(actions["clarify"], turns),
                "ood": _rate(ood, turns),
                "drop": _rate(actions["drop"], turns),
            },
            "sla_seconds": {
                "received_to_decided": _sla(to_decided),
                "decided_to_sent": _sla(to_sent),
                "received_to_sent": _sla(received_to_sent),
            },
            "outbox": {
                "rows": len(rows),
                "by_status": dict(statuses),
                "retries": sum(max(0, row.attempts - 1) for row in rows),
                "failed": statuses[str(OutboxStatus.FAILED)],
            },
        }


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _sla(values: list[float]) -> dict[str, float | int | None]:
    p50, p90 = percentile(values, 50), percentile(values, 90)
    return {"count": len(values), "p50": _round(p50), "p90": _round(p90)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
