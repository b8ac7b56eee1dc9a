"""Column types shared by the models: UTC datetimes, portable JSON, and the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, LargeBinary
from sqlalchemy.dialects.postgresql import BYTEA, JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.errors import InvalidValue

__all__ = ["Bytes", "Json", "UTCDateTime", "ensure_utc", "utcnow"]

Json: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
"""JSON everywhere, JSONB on PostgreSQL."""

Bytes: TypeEngine[bytes] = LargeBinary().with_variant(BYTEA(), "postgresql")
"""Opaque bytes (engine state as encoded by the engine)."""


def utcnow() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(value: datetime, field: str = "timestamp") -> datetime:
    """Return ``value`` converted to UTC; reject naive datetimes, whose zone nobody knows."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(
            field,
            f"naive datetime {value.isoformat()} has no time zone",
            "pass an aware datetime, e.g. datetime.now(UTC)",
        )
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that always reads back as an aware UTC datetime.

    SQLite has no time zones: values are stored as UTC text and re-labelled UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
