"""Log output for every process: text (development) or JSON lines (production), phones masked.

``TRUFFLES_LOG_FORMAT=json`` gives one JSON object per line, encoded with msgspec::

    {"ts": "2026-11-25T22:43:14.123Z", "level": "INFO", "logger": "truffles.api.ingest",
     "event": "webhook.accepted", "message": "...", "tenant": "demo_salon",
     "correlation_id": "in-5f0c1e2d3a4b5c6d"}

``event`` is present on the lines that mark a step of a message's path (``extra={"event": ...}``);
``tenant`` and ``correlation_id`` come from :mod:`storage.log_context`. Masking is a property of
the output: :class:`PhoneMaskFilter` rewrites each record's message (arguments included) and the
formatters mask the final text and any traceback, so a raw phone number in any log argument
never reaches a handler configured here.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

import msgspec

from storage.errors import InvalidValue
from storage.log_context import current_correlation_id, current_tenant
from storage.masking import mask_phones_in

__all__ = [
    "LOG_FORMAT_ENV",
    "LOG_LEVEL_ENV",
    "JsonFormatter",
    "LogFormat",
    "PhoneMaskFilter",
    "TextFormatter",
    "configure_logging",
    "log_format_from_env",
]

LOG_FORMAT_ENV = "TRUFFLES_LOG_FORMAT"
LOG_LEVEL_ENV = "TRUFFLES_LOG_LEVEL"
LogFormat = Literal["text", "json"]
QUIET_LOGGERS = ("httpx", "httpcore")
"""httpx logs full request URLs at INFO, and ChatFlow's token travels in the query string."""

_encoder = msgspec.json.Encoder()


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string must not lose the line
        return f"{record.msg!r} % {record.args!r}"


_MASKED = "_truffles_phones_masked"
"""Set on a record whose message :class:`PhoneMaskFilter` has masked: the formatters skip a second pass."""


class PhoneMaskFilter(logging.Filter):
    """Mask phone numbers in a record's message and arguments; also stamps tenant and correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, _MASKED, False):
            record.msg = mask_phones_in(_message(record))
            record.args = None
            setattr(record, _MASKED, True)
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = current_correlation_id()
        if getattr(record, "tenant", None) is None:
            record.tenant = current_tenant()
        return True


def _masked_message(record: logging.LogRecord) -> str:
    """The record's message, masked (once: a record the filter masked is not scanned again)."""
    message = _message(record)
    return message if getattr(record, _MASKED, False) else mask_phones_in(message)


def _context(record: logging.LogRecord) -> tuple[str | None, str | None]:
    tenant = getattr(record, "tenant", None) or current_tenant()
    correlation = getattr(record, "correlation_id", None) or current_correlation_id()
    return tenant, correlation


class JsonFormatter(logging.Formatter):
    """One msgspec-encoded JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        tenant, correlation = _context(record)
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        event = getattr(record, "event", None)
        if event:
            line["event"] = str(event)
        line["message"] = _masked_message(record)
        line["tenant"] = tenant
        line["correlation_id"] = correlation
        if record.exc_info:
            line["exc"] = mask_phones_in(self.formatException(record.exc_info))
        return _encoder.encode(line).decode()


class TextFormatter(logging.Formatter):
    """``ts LEVEL logger [correlation id]: message``, masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        _tenant, correlation = _context(record)
        record.context = f" [{correlation}]" if correlation else ""
        return mask_phones_in(super().format(record))


def log_format_from_env(environ: Mapping[str, str] | None = None) -> LogFormat:
    """``$TRUFFLES_LOG_FORMAT`` (``text`` by default); a bad value names the fix."""
    value = (environ if environ is not None else os.environ).get(LOG_FORMAT_ENV, "").strip().lower() or "text"
    if value not in ("text", "json"):
        raise InvalidValue(
            LOG_FORMAT_ENV, f"{value!r} is not a log format", "set it to 'json' (production) or 'text'"
        )
    return "json" if value == "json" else "text"


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is emitted, not when it was configured.

    A handler bound to the ``sys.stderr`` of its configuration time writes into a closed file once
    something (a test runner's capture) swaps and closes that stream: a worker thread's late line
    then became a "--- Logging error ---" traceback instead of a log line.
    """

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(
    fmt: LogFormat | None = None,
    *,
    level: int | str | None = None,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root logger's handlers with one masked text/JSON handler; returns it."""
    env = environ if environ is not None else os.environ
    chosen = fmt or log_format_from_env(env)
    handler: logging.StreamHandler = (  # type: ignore[type-arg]
        logging.StreamHandler(stream) if stream is not None else _CurrentStderrHandler()
    )
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(PhoneMaskFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or env.get(LOG_LEVEL_ENV, "INFO").upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
