"""Daily per-tenant counters, merged by addition (safe under concurrent bumps)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select

from storage.errors import InvalidValue
from storage.models import DailyMetrics
from storage.records import DailyMetricsRecord
from storage.repos.base import TenantRepo
from storage.repos.convert import metrics_record
from storage.sqlutil import insert_ignore

__all__ = ["Metrics"]


class Metrics(TenantRepo):
    """One tenant's daily counters."""

    def bump(self, day: date, counters: Mapping[str, int]) -> DailyMetricsRecord:
        """Add ``counters`` to the day's counters (missing names start at 0); upserts the row."""
        for name, value in counters.items():
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidValue(f"counters[{name!r}]", f"{value!r} is not an int", "pass integer deltas")
        now = self._now()
        with self._tx("bump daily metrics") as session:
            insert_ignore(
                session,
                DailyMetrics,
                {"tenant_id": self.tenant_id, "day": day, "counters": {}, "updated_at": now},
                ["tenant_id", "day"],
            )
            row = session.scalars(
                select(DailyMetrics)
                .where(DailyMetrics.tenant_id == self.tenant_id, DailyMetrics.day == day)
                .with_for_update()
            ).one()
            merged = dict(row.counters)
            for name, value in counters.items():
                merged[name] = int(merged.get(name, 0)) + value
            row.counters = merged
            row.updated_at = now
            session.flush()
            return metrics_record(row)

    def get(self, day: date) -> DailyMetricsRecord | None:
        with self._tx("get daily metrics") as session:
            row = session.get(DailyMetrics, (self.tenant_id, day))
            return metrics_record(row) if row is not None else None

    def between(self, first: date, last: date) -> list[DailyMetricsRecord]:
        """Days ``first`` through ``last`` inclusive that have counters, in order."""
        with self._tx("list daily metrics") as session:
            rows = session.scalars(
                select(DailyMetrics)
                .where(
                    DailyMetrics.tenant_id == self.tenant_id,
                    DailyMetrics.day >= first,
                    DailyMetrics.day <= last,
                )
                .order_by(DailyMetrics.day)
            ).all()
            return [metrics_record(r) for r in rows]
