"""Capture what the production log handler would print: JSON lines through our formatter and filter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storage.log_format import JsonFormatter, PhoneMaskFilter

__all__ = ["JsonLines", "json_lines"]


class JsonLines:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def text(self) -> str:
        return self._stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line.strip()]

    def events(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for record in self.records():
            if "event" in record:
                out.setdefault(record["event"], []).append(record)
        return out


@contextmanager
def json_lines(logger: str = "truffles", level: int = logging.DEBUG) -> Iterator[JsonLines]:
    """Every record of ``logger`` (and below) as the JSON line ``TRUFFLES_LOG_FORMAT=json`` prints."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PhoneMaskFilter())
    target = logging.getLogger(logger)
    before = target.level
    target.addHandler(handler)
    target.setLevel(level)
    try:
        yield JsonLines(stream)
    finally:
        target.removeHandler(handler)
        target.setLevel(before)
