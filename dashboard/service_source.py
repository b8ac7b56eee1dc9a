"""Where Service health reads from: the database (read-only) or the service's admin API.

The database is opened read-only (SQLite ``mode=ro``; PostgreSQL read-only transactions), tenant
by tenant: hand-overs through storage's repositories, per-day messages and outbox rows with
tenant-filtered selects over storage's models (storage has no range query for them yet).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from dashboard.service_data import HandoverRow, InboundRow, OutboxRow, ServiceReport, summarise_day
from storage import Direction, HandoverStatus, OutboxStatus, StorageError, TenantStore
from storage.db import make_engine
from storage.models import Message
from storage.models import OutboxRow as OutboxModel
from storage.repos.tenants import TenantDirectory

__all__ = ["API_TIMEOUT_S", "ApiSource", "DatabaseSource", "NoServiceData", "readonly_engine"]

API_TIMEOUT_S = 5.0
OPEN_HANDOVERS = (HandoverStatus.PENDING, HandoverStatus.ACTIVE)


class NoServiceData(Exception):
    """There is nothing to read yet (no database file, no schema, service unreachable)."""


def readonly_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened ``mode=ro``; PostgreSQL read-only transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise NoServiceData(f"no database file at {path or '(memory)'}: the service has not run here yet")
        uri = f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true"
        return create_engine(uri, connect_args={"check_same_thread": False})
    return make_engine(parsed).execution_options(postgresql_readonly=True)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


class DatabaseSource:
    def __init__(self, engine: Engine, label: str) -> None:
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.label = label

    def tenants(self) -> list[str]:
        try:
            known = TenantDirectory(self._sessions).list_ids()
            with self._sessions() as session:
                seen = session.scalars(select(Message.tenant_id).distinct()).all()
        except (SQLAlchemyError, StorageError) as exc:
            raise NoServiceData(f"the database has no service tables yet ({type(exc).__name__})") from exc
        return sorted(set(known) | set(seen))

    def report(self, tenant: str, first: date, last: date, now: datetime) -> ServiceReport:
        try:
            days = [self._day(tenant, first + timedelta(days=i)) for i in range((last - first).days + 1)]
            store = TenantStore(self._sessions, tenant)
            handovers = [h for status in OPEN_HANDOVERS for h in store.handovers.list_by_status(status)]
            backlog = self._backlog(tenant, now)
        except (SQLAlchemyError, StorageError) as exc:
            raise NoServiceData(f"cannot read the service tables: {type(exc).__name__}: {exc}") from exc
        rows = [
            HandoverRow(
                status=str(h.status),
                reason=h.reason,
                created_at=h.created_at,
                taken_at=h.taken_at,
                taken_by=h.taken_by,
            )
            for h in handovers
        ]
        return ServiceReport(tenant=tenant, source=self.label, days=days, backlog=backlog, handovers=rows)

    def _day(self, tenant: str, day: date) -> dict[str, Any]:
        start, end = _day_bounds(day)
        with self._sessions() as session:
            messages = session.execute(
                select(Message.id, Message.received_at, Message.decided_at, Message.decision).where(
                    Message.tenant_id == tenant,
                    Message.direction == Direction.IN,
                    Message.received_at >= start,
                    Message.received_at < end,
                )
            ).all()
            outbox = session.execute(
                select(
                    OutboxModel.status,
                    OutboxModel.attempts,
                    OutboxModel.created_at,
                    OutboxModel.sent_at,
                    OutboxModel.payload,
                ).where(
                    OutboxModel.tenant_id == tenant,
                    OutboxModel.created_at >= start,
                    OutboxModel.created_at < end,
                )
            ).all()
        inbound = [
            InboundRow(
                id=str(m.id),
                received_at=m.received_at,
                decided_at=m.decided_at,
                action=(m.decision or {}).get("action"),
                intent=(m.decision or {}).get("intent"),
            )
            for m in messages
        ]
        out = [
            OutboxRow(
                status=str(r.status),
                attempts=int(r.attempts),
                created_at=r.created_at,
                sent_at=r.sent_at,
                reply_to=str((r.payload or {}).get("reply_to") or "") or None,
            )
            for r in outbox
        ]
        return summarise_day(day, inbound, out)

    def _backlog(self, tenant: str, now: datetime) -> dict[str, Any]:
        with self._sessions() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(OutboxModel.created_at)).where(
                    OutboxModel.tenant_id == tenant,
                    OutboxModel.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                )
            ).one()
        age = None
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = round((now - oldest).total_seconds(), 1)
        return {"outbox_backlog": int(count), "oldest_pending_age_seconds": age}


class ApiSource:
    """The service's admin routes (``X-Admin-Token``): ``/admin/health`` and ``/admin/metrics``."""

    def __init__(self, base_url: str, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.label = f"service API at {base_url}"
        self._client = httpx.Client(
            base_url=base_url, headers={"X-Admin-Token": token}, timeout=API_TIMEOUT_S, transport=transport
        )

    def _get(self, path: str, **params: str) -> Any:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise NoServiceData(f"{self.label} is unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise NoServiceData(f"{self.label} refused the admin token (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise NoServiceData(f"{self.label} answered HTTP {response.status_code} for {path}")
        return response.json()

    def tenants(self) -> list[str]:
        return sorted(dict(self._get("/admin/health").get("tenants") or {}))

    def report(self, tenant: str, first: date, last: date, now: datetime) -> ServiceReport:
        del now
        health = dict(self._get("/admin/health").get("tenants") or {}).get(tenant) or {}
        days = [
            self._get("/admin/metrics", tenant=tenant, date=(first + timedelta(days=i)).isoformat())
            for i in range((last - first).days + 1)
        ]
        backlog = {k: health.get(k) for k in ("outbox_backlog", "oldest_pending_age_seconds")}
        return ServiceReport(
            tenant=tenant,
            source=self.label,
            days=days,
            backlog=backlog,
            handovers=None,
            notes=[
                "Open hand-overs are not exposed by the admin API: unset TRUFFLES_API_URL to read them "
                "from the database."
            ],
        )
