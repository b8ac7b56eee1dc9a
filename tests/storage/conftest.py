"""Database fixtures: one contract suite over SQLite (temp file) and real PostgreSQL.

PostgreSQL comes from ``$TRUFFLES_TEST_DATABASE_URL`` (default below). The database is created if
missing and migrated once per session; every test starts from empty tables. When PostgreSQL is
unreachable the Postgres half is skipped locally and FAILS under ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import Database, TenantDirectory, TenantStore, open_database, upgrade_to_head
from storage.models import Base

DEFAULT_TEST_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/truffles_test"
TENANT = "acme"
DECOY = "decoy"


def postgres_url() -> str:
    return os.environ.get("TRUFFLES_TEST_DATABASE_URL") or DEFAULT_TEST_PG_URL


def _libpq_conninfo(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def ensure_postgres_database(url: str) -> None:
    """Create the database named in ``url`` if it does not exist; skip or fail if unreachable."""
    name = make_url(url).database or "postgres"
    try:
        with psycopg.connect(_libpq_conninfo(url, "postgres"), autocommit=True, connect_timeout=3) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: integration tests must run)")
        pytest.skip(message)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database or ""
    with psycopg.connect(_libpq_conninfo(url, "postgres"), autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'truffles.db'}")
    upgrade_to_head(db.engine)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Database]:
    url = postgres_url()
    ensure_postgres_database(url)
    db = open_database(url)
    with db.engine.begin() as conn:  # start from a clean schema whatever a previous run left
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(db.engine)
    yield db
    db.dispose()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Database:
    """A migrated database with every table empty, on each backend in turn."""
    database: Database = request.getfixturevalue(f"{request.param}_database")
    empty_all_tables(database)
    return database


def empty_all_tables(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))


@dataclass
class FakeClock:
    """A settable clock: tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def directory(db: Database, clock: FakeClock) -> TenantDirectory:
    return TenantDirectory(db.session_factory, clock=clock)


@pytest.fixture
def store(db: Database, directory: TenantDirectory, clock: FakeClock) -> TenantStore:
    """The tenant under test."""
    directory.upsert(TENANT, "Acme Salon", secret_refs={"webhook": "ACME_WEBHOOK_SECRET"})
    return TenantStore(db.session_factory, TENANT, clock=clock)


@pytest.fixture
def decoy(db: Database, directory: TenantDirectory, clock: FakeClock) -> TenantStore:
    """Another tenant whose rows must never be visible through ``store``."""
    directory.upsert(DECOY, "Decoy Dental")
    return TenantStore(db.session_factory, DECOY, clock=clock)
