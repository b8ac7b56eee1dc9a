"""A hot statement compiled once and executed on psycopg directly (the webhook's write, the outbox's moves).

SQLAlchemy's per-execution work (execution context, parameter processing through the compiled
statement, result wrapping) costs ~0.27 ms of CPU on the inbound-message CTE, about as much as
psycopg's own round trip. :class:`DriverStatement` keeps SQLAlchemy for what it is good at —
building and compiling the statement, and the bind processors of our column types (enums, JSON,
UTC datetimes) — and runs the compiled SQL on the pooled connection's psycopg connection as a
server-side prepared statement. Errors come back as SQLAlchemy's ``DBAPIError`` family, and a
connection psycopg reports broken is invalidated, exactly as ``Connection.execute`` would do.

:meth:`first` returns rows as psycopg decodes them (fine for UUIDs, text, numbers);
:meth:`records` applies SQLAlchemy's result processors too (enums, UTC datetimes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, cast

import psycopg
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["DriverStatement", "execute_first", "execute_records", "prepared"]


class DriverStatement:
    """``statement`` compiled for ``dialect`` (PostgreSQL + psycopg), run with :meth:`first`."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        if dialect.driver != "psycopg":
            raise ValueError(
                f"DriverStatement runs on psycopg, not {dialect.name}+{dialect.driver}: use "
                "Connection.execute for other drivers"
            )
        self._compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        for bind in self._compiled.binds.values():
            if bind.expanding:
                raise ValueError(
                    f"bind {bind.key!r} is an expanding IN, which is rendered per execution: write the "
                    "condition as equalities joined by OR, or use Connection.execute"
                )
        self.sql = str(self._compiled)
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name, processor in self._compiled._bind_processors.items():
            if not callable(processor):  # a tuple-typed bind: one processor per element
                raise ValueError(f"bind {name!r} is tuple-typed; DriverStatement supports scalar binds only")
            self._processors[name] = processor
        self._result: list[tuple[str, Callable[[Any], Any] | None]] | None = None

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as psycopg gets them from SQLAlchemy: every bind present, column types applied."""
        params: dict[str, Any] = dict(self._compiled.construct_params(dict(values)))
        for name, process in self._processors.items():
            if name in params:
                params[name] = process(params[name])
        return params

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Execute on ``connection``'s psycopg connection; the first result row as psycopg gives it."""
        rows = self._execute(connection, values)
        return rows[0] if rows else None

    def records(self, connection: Connection, values: Mapping[str, Any]) -> list[SimpleNamespace]:
        """Every result row with SQLAlchemy's result types applied (enums, UTC datetimes, …), by name.

        The attribute names are the statement's result column keys, as on a SQLAlchemy ``Row``.
        """
        if self._result is None:
            dialect = self._compiled.dialect
            self._result = [
                (column.keyname, column.type.result_processor(dialect, None))
                for column in self._compiled._result_columns
            ]
        processed = []
        for row in self._execute(connection, values):
            fields = {
                key: (process(value) if process is not None else value)
                for (key, process), value in zip(self._result, row, strict=True)
            }
            processed.append(SimpleNamespace(**fields))
        return processed

    def _execute(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        params = self.parameters(values)
        driver = connection.connection.driver_connection
        if not isinstance(driver, psycopg.Connection):
            raise TypeError(f"{connection!r} holds a {type(driver).__name__}, not a psycopg connection")
        try:
            cursor = driver.execute(self.sql, params, prepare=True)
            return cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as exc:
            if driver.broken or driver.closed:
                connection.invalidate(exc)
            raise DBAPIError.instance(self.sql, params, exc, psycopg.Error) from exc


@functools.lru_cache(maxsize=128)
def prepared(statement: ClauseElement, dialect: Dialect) -> DriverStatement:
    """``statement`` (built once by its caller) compiled once per engine dialect."""
    return DriverStatement(statement, dialect)


def execute_first(connection: Connection, statement: Any, values: Mapping[str, Any]) -> Sequence[Any] | None:
    """The first row, as the driver decodes it: on psycopg directly, else through ``Connection.execute``."""
    if connection.dialect.driver == "psycopg":
        return prepared(statement, connection.dialect).first(connection, values)
    row: Sequence[Any] | None = connection.execute(statement, dict(values)).first()
    return row


def execute_records(connection: Connection, statement: Any, values: Mapping[str, Any]) -> Sequence[Any]:
    """Every row with SQLAlchemy's result types, by column name: on psycopg directly when it is the driver."""
    if connection.dialect.driver == "psycopg":
        return prepared(statement, connection.dialect).records(connection, values)
    rows: Sequence[Any] = connection.execute(statement, dict(values)).all()
    return rows
