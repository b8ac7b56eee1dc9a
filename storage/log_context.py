"""Who a log line is about: the tenant and the correlation id of the inbound message being handled.

A correlation id follows one inbound customer message across processes: the web edge computes it
when it accepts the webhook, the task queue carries it in the dramatiq message's options (see
``workers/correlation.py``), the worker binds it while it decides and sends, and outbox rows keep
it in their payload so a re-send after a crash (the sweeper) still carries it.

It is derived, not drawn at random: ``in-`` + 16 hex digits of a BLAKE2b hash of (tenant, the
provider's message id). So it is the same wherever it is recomputed from the stored message, it
never contains the provider's id itself (which can embed a phone number), and an operator holding
a ChatFlow message id can find every line about it (:func:`correlation_id_for`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

__all__ = [
    "CORRELATION_KEY",
    "bind_log_context",
    "correlation_id_for",
    "current_correlation_id",
    "current_tenant",
    "log_context",
    "reset_log_context",
    "with_correlation",
]

CORRELATION_KEY = "correlation_id"
"""The key of the correlation id in dramatiq message options and in outbox payloads."""

_correlation: ContextVar[str | None] = ContextVar("truffles_correlation_id", default=None)
_tenant: ContextVar[str | None] = ContextVar("truffles_tenant", default=None)

ContextTokens = tuple[Token[str | None], Token[str | None]]


def correlation_id_for(tenant_id: str, provider_message_id: str) -> str:
    """The correlation id of one inbound message: stable, short, free of personal data."""
    digest = hashlib.blake2b(f"{tenant_id}\x00{provider_message_id}".encode(), digest_size=8)
    return f"in-{digest.hexdigest()}"


def current_correlation_id() -> str | None:
    return _correlation.get()


def current_tenant() -> str | None:
    return _tenant.get()


def bind_log_context(*, tenant: str | None = None, correlation_id: str | None = None) -> ContextTokens:
    """Set both values (``None`` keeps the current one); undo with :func:`reset_log_context`."""
    return (
        _tenant.set(tenant if tenant is not None else _tenant.get()),
        _correlation.set(correlation_id if correlation_id is not None else _correlation.get()),
    )


def reset_log_context(tokens: ContextTokens) -> None:
    _tenant.reset(tokens[0])
    _correlation.reset(tokens[1])


@contextmanager
def log_context(*, tenant: str | None = None, correlation_id: str | None = None) -> Iterator[None]:
    """Log lines inside the block carry ``tenant`` and ``correlation_id``."""
    tokens = bind_log_context(tenant=tenant, correlation_id=correlation_id)
    try:
        yield
    finally:
        reset_log_context(tokens)


def with_correlation(payload: Mapping[str, Any], correlation_id: str | None = None) -> dict[str, Any]:
    """``payload`` plus the current (or given) correlation id, for an outbox row."""
    found = correlation_id or _correlation.get()
    out = dict(payload)
    if found:
        out[CORRELATION_KEY] = found
    return out
