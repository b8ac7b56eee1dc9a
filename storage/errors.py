"""Errors raised by the storage layer: one root, data kept on the exception."""

from __future__ import annotations

__all__ = [
    "ConstraintViolation",
    "IllegalTransition",
    "InvalidValue",
    "NotFound",
    "StaleWrite",
    "StorageError",
    "StorageUnavailable",
]


class StorageError(Exception):
    """Root of every error raised by :mod:`storage`."""


class StorageUnavailable(StorageError):
    """The database could not be reached or refused the operation for a transient reason."""

    def __init__(self, operation: str, cause: BaseException) -> None:
        self.operation = operation
        super().__init__(
            f"database unavailable during {operation}: {cause.__class__.__name__}: {cause}. "
            "Check TRUFFLES_DATABASE_URL and that the database server is running; the caller may retry."
        )


class ConstraintViolation(StorageError):
    """A write broke a database constraint that the repository did not anticipate."""

    def __init__(self, operation: str, tenant_id: str, cause: BaseException) -> None:
        self.operation = operation
        self.tenant_id = tenant_id
        detail = str(getattr(cause, "orig", cause)).strip().splitlines()[0]
        super().__init__(
            f"{operation} for tenant {tenant_id!r} broke a database constraint: {detail}. "
            f"If the tenant does not exist yet, create it with TenantDirectory.upsert({tenant_id!r}, ...)."
        )


class InvalidValue(StorageError, ValueError):
    """A value handed to storage is malformed (naive datetime, secret value instead of env name, ...)."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}. Fix: {fix}")


class NotFound(StorageError, LookupError):
    """A row addressed by id does not exist for this tenant."""

    def __init__(self, kind: str, tenant_id: str, key: object) -> None:
        self.kind = kind
        self.tenant_id = tenant_id
        self.key = key
        super().__init__(
            f"{kind} {key!s} not found for tenant {tenant_id!r} "
            "(it may belong to another tenant or was never created)"
        )


class StaleWrite(StorageError):
    """A compare-and-set write lost: someone else changed the row since it was read."""

    def __init__(
        self, kind: str, key: object, expected: int, actual: int | None, *, what: str = "version"
    ) -> None:
        self.kind = kind
        self.key = key
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stale write to {kind} {key!s}: expected {what} {expected}, found {actual}. "
            "Reload the row and recompute the change."
        )


class IllegalTransition(StorageError):
    """A status change that the state machine of that row does not allow."""

    def __init__(self, kind: str, key: object, from_status: str, to_status: str, allowed: tuple[str, ...]):
        self.kind = kind
        self.key = key
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "nothing (terminal status)"
        super().__init__(
            f"{kind} {key!s}: illegal status transition {from_status} -> {to_status}; "
            f"from {from_status} allowed: {allowed_text}"
        )
