"""Engines and session factories from a URL: SQLite (embedded default) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from storage.errors import InvalidValue

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "Database",
    "SessionFactory",
    "database_url_from_env",
    "make_engine",
    "make_session_factory",
    "open_database",
]

DATABASE_URL_ENV = "TRUFFLES_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///var/truffles.db"
"""Embedded default: a SQLite file under ``var/`` relative to the working directory."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock before failing."""
PG_POOL_SIZE = 20
"""Connections a process keeps open. Above the busiest thread count (worker threads + the web
edge's thread pool in use at once): an "overflow" connection is closed on every return, so a pool
smaller than the working threads opens and closes a PostgreSQL backend per transaction."""
PG_MAX_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 30
PG_POOL_RECYCLE_S = 1800
PG_CONNECT_TIMEOUT_S = 10
PG_TCP_USER_TIMEOUT_MS = 10_000
"""A request PostgreSQL has not acknowledged at the TCP level within this is an error, not a hang
(a dead host or a partition): the web edge may run an ingest on its event loop (api.inline_gate)."""
PG_PING_AFTER_IDLE_S = 5.0
"""A pooled PostgreSQL connection idle longer than this is pinged before use (see ``_ping_when_idle``)."""

SessionFactory = sessionmaker[Session]


def database_url_from_env() -> str:
    """``$TRUFFLES_DATABASE_URL`` or the embedded SQLite default."""
    return os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def _parse(url: str | URL) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidValue(
            "database URL",
            f"{str(url)!r} is not a URL",
            "use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/db",
        ) from exc
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InvalidValue(
            "database URL",
            f"backend {parsed.get_backend_name()!r} is not supported",
            "use sqlite:///... or postgresql+psycopg://...",
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"echo": echo, "connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: transactions are serialised, so a read
        # followed by a write can never fail with SQLITE_BUSY_SNAPSHOT halfway through.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Create an engine configured for Truffles' access patterns.

    SQLite: WAL, foreign keys on, busy timeout, every transaction ``BEGIN IMMEDIATE``.
    PostgreSQL: psycopg 3, a bounded pool with recycling and a ping after idle (not on every checkout).
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    engine = create_engine(
        parsed,
        echo=echo,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_timeout=PG_POOL_TIMEOUT_S,
        pool_recycle=PG_POOL_RECYCLE_S,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "tcp_user_timeout": PG_TCP_USER_TIMEOUT_MS,
            "keepalives": 1,
            "keepalives_idle": 30,
        },
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip on every checkout.

    ``pool_pre_ping`` would add a ``SELECT 1`` to every transaction (one of four round trips of a
    webhook's store). Here only a connection idle for more than :data:`PG_PING_AFTER_IDLE_S` is
    pinged; a busy connection that finds the server gone fails its statement once, the error
    invalidates the whole pool (SQLAlchemy's default on a disconnect), and the caller's retry —
    the provider re-delivering a 503'd webhook, dramatiq re-running an actor — gets a fresh one.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PG_PING_AFTER_IDLE_S:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError(f"pooled connection idle since {idle_since:.0f} is dead: {exc}") from exc


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded values after commit (repositories return plain records)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and its session factory, disposed together."""

    engine: Engine
    session_factory: SessionFactory

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | URL | None = None, *, echo: bool = False) -> Database:
    """Open the database at ``url`` (default: ``$TRUFFLES_DATABASE_URL`` or the embedded SQLite file)."""
    engine = make_engine(url if url is not None else database_url_from_env(), echo=echo)
    return Database(engine=engine, session_factory=make_session_factory(engine))
