"""Dramatiq middleware that carries the tenant and the correlation id from producer to worker.

On enqueue, the current correlation id (see :mod:`storage.log_context`) is written into the
message's ``options``; dramatiq's own retries and our delayed re-enqueues keep it. While a worker
thread processes the message, the tenant (the actor's first argument) and that correlation id are
bound to the thread's context, so every log line of the turn or the send carries them, and every
message enqueued from there (the sends of a turn) inherits them.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from storage.log_context import (
    CORRELATION_KEY,
    ContextTokens,
    bind_log_context,
    current_correlation_id,
    reset_log_context,
)

__all__ = ["CorrelationMiddleware", "install_correlation"]

_TOKENS_OPTION = "_truffles_log_tokens"


class CorrelationMiddleware(Middleware):
    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int) -> None:
        found = current_correlation_id()
        if found and CORRELATION_KEY not in message.options:
            message.options[CORRELATION_KEY] = found

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        tenant = str(message.args[0]) if message.args else None
        correlation = message.options.get(CORRELATION_KEY)
        tokens = bind_log_context(tenant=tenant, correlation_id=str(correlation) if correlation else None)
        # The proxy's own attribute, not ``options``: it must never be encoded into a re-enqueue.
        setattr(message, _TOKENS_OPTION, tokens)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        self._reset(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._reset(message)

    @staticmethod
    def _reset(message: Any) -> None:
        tokens: ContextTokens | None = getattr(message, _TOKENS_OPTION, None)
        if tokens is not None:
            setattr(message, _TOKENS_OPTION, None)
            reset_log_context(tokens)


def install_correlation(broker: dramatiq.Broker) -> None:
    """Add :class:`CorrelationMiddleware` to ``broker`` once."""
    if not any(isinstance(m, CorrelationMiddleware) for m in broker.middleware):
        broker.add_middleware(CorrelationMiddleware())
