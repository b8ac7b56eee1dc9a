"""The wire shapes of ChatFlow's outbound calls, shared by the async and the blocking client.

Query parameters in (:func:`text_params`, :func:`media_params`); out, what an answer means:
429 -> :class:`ProviderRateLimited` (with Retry-After), 5xx -> :class:`ProviderUnavailable`, other
non-2xx or a 2xx with ``"success": false`` -> :class:`ProviderRejected`; otherwise a
:class:`SendResult` with ChatFlow's message id when the answer carried one.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from typing import Any, Literal

import msgspec

from channels.chatflow.jid import mask_jid
from channels.errors import (
    ChatFlowError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    snippet,
)

__all__ = [
    "EMPTY_CAPTION",
    "MEDIA_PARAM",
    "Endpoint",
    "SendResult",
    "describe_call",
    "interpret_response",
    "media_params",
    "parse_retry_after",
    "text_params",
]

Endpoint = Literal["send-text", "send-image", "send-audio", "send-doc", "send-video"]
MEDIA_PARAM: dict[Endpoint, str] = {
    "send-image": "imageurl",
    "send-audio": "audiourl",
    "send-doc": "docurl",
    "send-video": "videourl",
}
"""The query parameter naming the file's URL, per media endpoint."""
EMPTY_CAPTION = " "
"""ChatFlow requires a caption on image/doc/video; a space stands for none."""


def text_params(instance_id: str, jid: str, text: str, idempotency_key: str) -> dict[str, str]:
    """``send-text`` parameters (without the token); ``msg_id`` is our idempotency key."""
    if not text:
        raise ValueError("refusing to send an empty WhatsApp text: compose the reply first")
    return {"instance_id": instance_id, "jid": jid, "msg": text, "msg_id": idempotency_key}


def media_params(
    endpoint: Endpoint, instance_id: str, jid: str, url: str, idempotency_key: str, caption: str | None
) -> dict[str, str]:
    """Media call parameters; ``caption=None`` sends none (audio), ``""`` sends :data:`EMPTY_CAPTION`."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"{endpoint}: media URL must be a public http(s) URL, got {url[:80]!r}")
    params = {"instance_id": instance_id, "jid": jid, MEDIA_PARAM[endpoint]: url, "msg_id": idempotency_key}
    if caption is not None:
        params["caption"] = caption or EMPTY_CAPTION
    return params


def describe_call(endpoint: Endpoint, params: dict[str, str]) -> str:
    """How errors name a call: endpoint, masked recipient, idempotency key."""
    return f"ChatFlow {endpoint} to {mask_jid(params['jid'])} (msg_id {params['msg_id']!r})"


class SendResult(msgspec.Struct, frozen=True, kw_only=True):
    """A message ChatFlow accepted.

    Attributes:
        endpoint: which call was made.
        msg_id: our idempotency key, as sent.
        provider_message_id: ChatFlow's id for the message, when its answer carried one.
        status: the HTTP status (200).
        elapsed: seconds the call took.
    """

    endpoint: Endpoint
    msg_id: str
    provider_message_id: str | None
    status: int
    elapsed: float


def interpret_response(
    endpoint: Endpoint,
    msg_id: str,
    where: str,
    *,
    status: int,
    retry_after: str | None,
    content: bytes,
    elapsed: float,
    scrub: Callable[[str], str],
) -> SendResult:
    """The result of one call, or the typed error it stands for (``where`` names the call)."""
    if status >= 300:
        raise _error(where, status, retry_after, scrub(snippet(content)))
    payload = _json_object(content)
    if payload.get("success") is False:
        raise ProviderRejected(
            f"{where}: HTTP {status} but success=false: {snippet(content)!r}",
            status=status,
            body=snippet(content),
        )
    provider_id = next((str(payload[k]) for k in ("message_id", "messageId", "id") if payload.get(k)), None)
    return SendResult(
        endpoint=endpoint, msg_id=msg_id, provider_message_id=provider_id, status=status, elapsed=elapsed
    )


def _error(where: str, status: int, retry_after: str | None, body: str) -> ChatFlowError:
    if status == 429:
        seconds = parse_retry_after(retry_after)
        wait = f"retry after {seconds:g} s" if seconds is not None else "no Retry-After given"
        return ProviderRateLimited(
            f"{where}: HTTP 429 rate limited ({wait}); body {body!r}",
            status=status,
            body=body,
            retry_after=seconds,
        )
    if status >= 500:
        return ProviderUnavailable(
            f"{where}: HTTP {status} from ChatFlow; transient, retry with backoff; body {body!r}",
            status=status,
            body=body,
        )
    return ProviderRejected(
        f"{where}: HTTP {status}, ChatFlow refused the request (check token, instance_id, jid and "
        f"parameters; retrying will not help); body {body!r}",
        status=status,
        body=body,
    )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        payload = msgspec.json.decode(content)
    except msgspec.DecodeError:
        return {}
    return payload if isinstance(payload, dict) else {}
