"""A hot statement compiled once and executed on psycopg directly, for the webhook's one write.

SQLAlchemy's per-execution work (execution context, parameter processing through the compiled
statement, result wrapping) costs ~0.27 ms of CPU on the inbound-message CTE, about as much as
psycopg's own round trip. :class:`DriverStatement` keeps SQLAlchemy for what it is good at —
building and compiling the statement, and the bind processors of our column types (enums, JSON,
UTC datetimes) — and runs the compiled SQL on the pooled connection's psycopg connection as a
server-side prepared statement. Errors come back as SQLAlchemy's ``DBAPIError`` family, and a
connection psycopg reports broken is invalidated, exactly as ``Connection.execute`` would do.

Only for statements whose result columns need no type conversion (e.g. ``RETURNING`` of UUIDs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import psycopg
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["DriverStatement"]


class DriverStatement:
    """``statement`` compiled for ``dialect`` (PostgreSQL + psycopg), run with :meth:`first`."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        if dialect.driver != "psycopg":
            raise ValueError(
                f"DriverStatement runs on psycopg, not {dialect.name}+{dialect.driver}: use "
                "Connection.execute for other drivers"
            )
        self._compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(self._compiled)
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name, processor in self._compiled._bind_processors.items():
            if not callable(processor):  # a tuple-typed bind: one processor per element
                raise ValueError(f"bind {name!r} is tuple-typed; DriverStatement supports scalar binds only")
            self._processors[name] = processor

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as psycopg gets them from SQLAlchemy: every bind present, column types applied."""
        params: dict[str, Any] = dict(self._compiled.construct_params(dict(values)))
        for name, process in self._processors.items():
            if name in params:
                params[name] = process(params[name])
        return params

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Execute on ``connection``'s psycopg connection; the first result row, or None."""
        params = self.parameters(values)
        driver = connection.connection.driver_connection
        if not isinstance(driver, psycopg.Connection):
            raise TypeError(f"{connection!r} holds a {type(driver).__name__}, not a psycopg connection")
        try:
            row: tuple[Any, ...] | None = driver.execute(self.sql, params, prepare=True).fetchone()
        except psycopg.Error as exc:
            if driver.broken or driver.closed:
                connection.invalidate(exc)
            raise DBAPIError.instance(self.sql, params, exc, psycopg.Error) from exc
        return row
