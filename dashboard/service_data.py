"""Pure numbers of the Service health page: per-day SLA, rates, outbox and hand-overs.

Both sources (the database, read-only, and the service's ``/admin/metrics``) end as the same
per-day summaries (the shape ``/admin/metrics`` returns), so the tables are built one way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

__all__ = [
    "OOD_INTENTS",
    "HandoverRow",
    "InboundRow",
    "OutboxRow",
    "ServiceReport",
    "handover_frame",
    "outbox_frame",
    "percentile",
    "rates_frame",
    "sla_frame",
    "summarise_day",
]

OOD_INTENTS = frozenset({"off_topic", "ood"})
SLA_STAGES = {
    "received_to_decided": "received → decided",
    "decided_to_sent": "decided → sent",
    "received_to_sent": "received → sent",
}
RATES = ("escalation", "clarify", "ood")


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundRow:
    id: str
    received_at: datetime
    decided_at: datetime | None
    action: str | None
    intent: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    reply_to: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoverRow:
    status: str
    reason: str
    created_at: datetime
    taken_at: datetime | None
    taken_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceReport:
    """What the page shows for one tenant; ``handovers`` is None when the source can't tell."""

    tenant: str
    source: str
    days: list[dict[str, Any]]
    backlog: dict[str, Any]
    handovers: list[HandoverRow] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            d.get("inbound_messages") or d.get("outbox", {}).get("rows") for d in self.days
        ) and not (self.backlog.get("outbox_backlog") or self.handovers)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _seconds(later: datetime, earlier: datetime) -> float:
    return (_aware(later) - _aware(earlier)).total_seconds()


def _sla(values: list[float]) -> dict[str, Any]:
    return {"count": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90)}


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def summarise_day(day: date, inbound: Sequence[InboundRow], outbox: Sequence[OutboxRow]) -> dict[str, Any]:
    """One day's counts, SLA percentiles (seconds), rates and outbox stats."""
    decided = [m for m in inbound if m.decided_at is not None and m.action is not None]
    actions = Counter(str(m.action) for m in decided)
    received = {m.id: m.received_at for m in inbound}
    to_sent: list[float] = []
    received_to_sent: list[float] = []
    for row in outbox:
        if row.sent_at is None:
            continue
        to_sent.append(_seconds(row.sent_at, row.created_at))
        if row.reply_to in received:
            received_to_sent.append(_seconds(row.sent_at, received[row.reply_to]))
    statuses = Counter(row.status for row in outbox)
    turns = len(decided)
    return {
        "date": day.isoformat(),
        "inbound_messages": len(inbound),
        "turns": turns,
        "actions": dict(actions),
        "rates": {
            "escalation": _rate(actions["escalate"], turns),
            "clarify": _rate(actions["clarify"], turns),
            "ood": _rate(sum(1 for m in decided if str(m.intent) in OOD_INTENTS), turns),
        },
        "sla_seconds": {
            "received_to_decided": _sla(
                [_seconds(m.decided_at, m.received_at) for m in decided if m.decided_at]
            ),
            "decided_to_sent": _sla(to_sent),
            "received_to_sent": _sla(received_to_sent),
        },
        "outbox": {
            "rows": len(outbox),
            "by_status": dict(statuses),
            "retries": sum(max(0, row.attempts - 1) for row in outbox),
            "failed": statuses["failed"],
        },
    }


def sla_frame(days: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """(day, stage, p50, p90, count) for every day and stage with at least one measurement."""
    rows = []
    for d in days:
        for key, label in SLA_STAGES.items():
            sla = dict(d.get("sla_seconds", {})).get(key) or {}
            if sla.get("count"):
                rows.append(
                    {
                        "day": d["date"],
                        "stage": label,
                        "p50": sla.get("p50"),
                        "p90": sla.get("p90"),
                        "count": sla["count"],
                    }
                )
    return pd.DataFrame(rows, columns=["day", "stage", "p50", "p90", "count"])


def rates_frame(days: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """(day, rate, value) of the escalation, clarify and OOD rates of days with turns."""
    rows = [
        {"day": d["date"], "rate": name, "value": float(value)}
        for d in days
        for name in RATES
        if (value := dict(d.get("rates", {})).get(name)) is not None
    ]
    return pd.DataFrame(rows, columns=["day", "rate", "value"])


def outbox_frame(days: Sequence[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "day": d["date"],
            "inbound": d.get("inbound_messages", 0),
            "turns": d.get("turns", 0),
            "outbox rows": d["outbox"].get("rows", 0),
            "retries": d["outbox"].get("retries", 0),
            "failed": d["outbox"].get("failed", 0),
        }
        for d in days
        if d.get("outbox")
    ]
    return pd.DataFrame(rows, columns=["day", "inbound", "turns", "outbox rows", "retries", "failed"])


def handover_frame(handovers: Sequence[HandoverRow], now: datetime) -> pd.DataFrame:
    """Open hand-overs, oldest first, with their age in minutes."""
    rows = [
        {
            "status": h.status,
            "reason": h.reason,
            "opened": _aware(h.created_at).strftime("%Y-%m-%d %H:%M"),
            "age (min)": round(_seconds(now, h.created_at) / 60, 1),
            "taken by": h.taken_by or "",
        }
        for h in sorted(handovers, key=lambda h: _aware(h.created_at))
    ]
    return pd.DataFrame(rows, columns=["status", "reason", "opened", "age (min)", "taken by"])
