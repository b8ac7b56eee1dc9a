"""Bot API answers: decode the ``{"ok": …}`` envelope into a result or a typed ``TelegramError``."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from channels.errors import (
    TelegramError,
    TelegramRateLimited,
    TelegramRejected,
    TelegramUnavailable,
    TopicNotFound,
)

__all__ = ["TOPIC_MISSING_MARKERS", "decode_answer", "is_topic_missing", "where_of"]

T = TypeVar("T")

TOPIC_MISSING_MARKERS = ("message thread not found", "topic_id_invalid", "topic_deleted")


def is_topic_missing(description: str) -> bool:
    """Whether a Bot API error description means the forum topic does not exist (any more)."""
    lowered = description.lower()
    return any(marker in lowered for marker in TOPIC_MISSING_MARKERS)


class _Envelope(msgspec.Struct, kw_only=True):
    ok: bool
    result: msgspec.Raw = msgspec.Raw(b"null")
    error_code: int | None = None
    description: str = ""
    parameters: dict[str, Any] | None = None


def decode_answer(where: str, method: str, response: httpx.Response, result_type: type[T], body: str) -> T:
    """The ``result`` of a Bot API answer as ``result_type``, or the matching ``TelegramError``."""
    try:
        envelope = msgspec.json.decode(response.content, type=_Envelope)
    except msgspec.MsgspecError:
        envelope = _Envelope(
            ok=False, error_code=response.status_code, description=f"non-JSON answer: {body}"
        )
    if not envelope.ok:
        raise _error(where, method, envelope, response.status_code, body)
    try:
        return msgspec.json.decode(envelope.result, type=result_type)
    except msgspec.MsgspecError as exc:
        raise TelegramRejected(
            f"{where}: unexpected result ({exc}); is base_url really a Bot API server?",
            method=method,
            status=response.status_code,
            body=body,
        ) from exc


def where_of(method: str, params: dict[str, Any]) -> str:
    context = ", ".join(f"{key}={params[key]}" for key in ("chat_id", "message_thread_id") if params.get(key))
    return f"Telegram {method}" + (f" ({context})" if context else "")


def _error(where: str, method: str, envelope: _Envelope, status: int, body: str) -> TelegramError:
    code = envelope.error_code or status
    description = envelope.description
    kwargs: dict[str, Any] = {"method": method, "description": description, "status": code, "body": body}
    if code == 429:
        raw = (envelope.parameters or {}).get("retry_after")
        retry_after = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "no retry_after given"
        return TelegramRateLimited(f"{where}: 429 {description} ({wait})", retry_after=retry_after, **kwargs)
    if code >= 500:
        return TelegramUnavailable(f"{where}: {code} {description}; transient, retry with backoff", **kwargs)
    if code == 400 and is_topic_missing(description):
        return TopicNotFound(
            f"{where}: 400 {description}; the topic was deleted: create a new topic and send again", **kwargs
        )
    return TelegramRejected(f"{where}: {code} {description}; retrying the same call will not help", **kwargs)
