"""Small dialect-aware SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base

__all__ = ["dialect_name", "insert_ignore"]


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_ignore(
    session: Session, model: type[Base], values: Mapping[str, Any], conflict_columns: Sequence[str]
) -> bool:
    """``INSERT ... ON CONFLICT (cols) DO NOTHING``; True if the row was inserted.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    reports a conflict, so exactly one caller ever sees True.
    """
    stmt: Insert
    if dialect_name(session) == "postgresql":
        stmt = (
            postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
        )
    else:
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    key = model.__table__.c[conflict_columns[0]]
    return session.execute(stmt.returning(key)).first() is not None
