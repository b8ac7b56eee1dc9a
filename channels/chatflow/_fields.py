"""Typed look-ups in loosely shaped JSON objects, with errors that name the field."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from channels.errors import ChannelPayloadError

__all__ = [
    "MAX_ID_CHARS",
    "Layer",
    "as_bool",
    "as_datetime",
    "as_id",
    "as_number",
    "as_str",
    "clean_text",
    "find",
    "layers_of",
    "show",
]

_MS_THRESHOLD = 100_000_000_000  # a larger epoch value is in milliseconds
_MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31
MAX_ID_CHARS = 200
"""The longest provider message id we accept (the storage column's width; real ids are ~20-40)."""

Layer = tuple[str, dict[str, Any]]
T = TypeVar("T")


def layers_of(root: dict[str, Any]) -> list[Layer]:
    """The objects to search, most specific first: body.metadata, body, metadata, root."""
    layers: list[Layer] = []
    body = root.get("body")
    if isinstance(body, dict):
        layers += _with_metadata("body.", body)
        root = {key: value for key, value in root.items() if key != "body"}
    layers += _with_metadata("", root)
    return layers


def _with_metadata(prefix: str, obj: dict[str, Any]) -> list[Layer]:
    metadata = obj.get("metadata")
    if metadata is None:
        return [(prefix, obj)]
    if not isinstance(metadata, dict):
        raise ChannelPayloadError(f"{prefix}metadata", "an object", show(metadata))
    return [(f"{prefix}metadata.", metadata), (prefix, obj)]


def find(layers: list[Layer], keys: tuple[str, ...], convert: Callable[[str, object], T]) -> T | None:
    """The first present (non-null) key, converted; a present value of the wrong type is an error."""
    for prefix, obj in layers:
        for key in keys:
            value = obj.get(key)
            if value is not None:
                return convert(f"{prefix}{key}", value)
    return None


def clean_text(value: str) -> str:
    """``value`` as every store accepts it: NUL removed, unpaired surrogates replaced by U+FFFD.

    PostgreSQL refuses NUL in text and JSON columns, and no database driver can encode a lone
    surrogate (``"\\ud800"``); a customer's message must not be refused for either, so both are
    cleaned here, at the parse boundary, the same way for every backend.
    """
    value = value.replace("\x00", "")
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def as_id(path: str, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        found = str(value)
    elif isinstance(value, str) and clean_text(value).strip():
        found = clean_text(value).strip()
    else:
        raise ChannelPayloadError(path, "a non-empty string or integer", show(value))
    if len(found) > MAX_ID_CHARS:
        raise ChannelPayloadError(path, f"an id of at most {MAX_ID_CHARS} characters", show(value))
    return found


def as_str(path: str, value: object) -> str:
    if isinstance(value, str):
        return clean_text(value)
    raise ChannelPayloadError(path, "a string", show(value))


def as_bool(path: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ChannelPayloadError(path, "true or false", show(value))


def as_number(path: str, value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ChannelPayloadError(path, "a number", show(value)) from None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    raise ChannelPayloadError(path, "a non-negative number", show(value))


def as_datetime(path: str, value: object) -> datetime:
    if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ChannelPayloadError(
                path, "epoch seconds/milliseconds or an ISO 8601 time", show(value)
            ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    seconds = as_number(path, value)
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000
    if seconds > _MAX_EPOCH_SECONDS:
        raise ChannelPayloadError(path, "a Unix time before the year 10000", show(value))
    return datetime.fromtimestamp(seconds, tz=UTC)


def show(value: object) -> str:
    """A short, type-revealing rendering of a bad value for an error message."""
    kind = "null" if value is None else type(value).__name__
    text = repr(value)
    if len(text) > 60:
        text = text[:59] + "…"
    return f"{kind} {text}"
