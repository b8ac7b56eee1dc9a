"""The tenant-scoped repository base: one tenant id, one clock, one transaction helper."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from storage.coltypes import ensure_utc, utcnow
from storage.db import SessionFactory
from storage.errors import ConstraintViolation, InvalidValue, StorageUnavailable

__all__ = [
    "TENANT_ID_PATTERN",
    "Clock",
    "TenantRepo",
    "single_statement",
    "transaction",
    "validate_tenant_id",
]

Clock = Callable[[], datetime]
TENANT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def validate_tenant_id(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise InvalidValue(
            "tenant_id",
            f"{tenant_id!r} is not a tenant slug",
            "use 1-64 lowercase letters, digits, '_' or '-', starting with a letter or digit",
        )
    return tenant_id


@contextmanager
def transaction(session_factory: SessionFactory, operation: str, tenant_id: str) -> Iterator[Session]:
    """One session, one transaction: committed on success, rolled back on any error.

    Driver errors are translated here: constraint breaks to :class:`ConstraintViolation`,
    everything else from the driver to :class:`StorageUnavailable`.
    """
    try:
        with session_factory() as session, session.begin():
            yield session
    except IntegrityError as exc:
        raise ConstraintViolation(operation, tenant_id, exc) from exc
    except DBAPIError as exc:
        raise StorageUnavailable(operation, exc) from exc


@contextmanager
def single_statement(session_factory: SessionFactory, operation: str, tenant_id: str) -> Iterator[Connection]:
    """A pooled connection in autocommit mode, for ONE statement that is its own transaction.

    A single ``INSERT … RETURNING`` (or a CTE of several writes) is atomic on its own; running it in
    autocommit saves the ``BEGIN`` and ``COMMIT`` round trips and the ORM session's bookkeeping.
    Errors are translated as in :func:`transaction`.
    """
    engine = session_factory.kw["bind"]
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    except IntegrityError as exc:
        raise ConstraintViolation(operation, tenant_id, exc) from exc
    except DBAPIError as exc:
        raise StorageUnavailable(operation, exc) from exc


class TenantRepo:
    """Base of every per-tenant repository."""

    def __init__(self, session_factory: SessionFactory, tenant_id: str, *, clock: Clock = utcnow) -> None:
        self._session_factory = session_factory
        self._tenant_id = validate_tenant_id(tenant_id)
        self._clock = clock

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def _now(self) -> datetime:
        return ensure_utc(self._clock(), "clock()")

    def _dialect(self) -> str:
        """``postgresql`` or ``sqlite``: the backend of this repository's engine."""
        return str(self._session_factory.kw["bind"].dialect.name)

    def _tx(self, operation: str) -> AbstractContextManager[Session]:
        return transaction(self._session_factory, operation, self._tenant_id)
