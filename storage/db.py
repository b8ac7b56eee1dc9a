"""Engines and session factories from a URL: SQLite (embedded default) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
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
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 30
PG_POOL_RECYCLE_S = 1800
PG_CONNECT_TIMEOUT_S = 10

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
    PostgreSQL: psycopg 3, a bounded pool with pre-ping and recycling.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    return create_engine(
        parsed,
        echo=echo,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_timeout=PG_POOL_TIMEOUT_S,
        pool_recycle=PG_POOL_RECYCLE_S,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


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
