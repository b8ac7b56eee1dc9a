"""Engine setup: UTC-aware timestamps, SQLite pragmas, URL errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import Database, InvalidValue, StorageUnavailable, TenantStore, make_engine, open_database
from tests.storage.conftest import FakeClock
from tests.storage.helpers import JID


def test_timestamps_come_back_aware_utc(db: Database, store: TenantStore, clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=5)))  # Almaty
    conversation = store.conversations.get_or_create(JID)
    assert conversation.created_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert conversation.created_at.utcoffset() == timedelta(0)


def test_naive_clock_is_rejected_with_the_fix(db: Database) -> None:
    store = TenantStore(db.session_factory, "acme", clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(InvalidValue, match="aware datetime"):
        store.conversations.get_or_create(JID)


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_unsupported_url_names_the_supported_ones() -> None:
    with pytest.raises(InvalidValue, match="postgresql\\+psycopg"):
        make_engine("mysql://root@localhost/x")


def test_unreachable_postgres_is_storage_unavailable() -> None:
    db = open_database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(StorageUnavailable, match="TRUFFLES_DATABASE_URL"):
            TenantStore(db.session_factory, "acme").conversations.find_by_jid(JID)
    finally:
        db.dispose()
