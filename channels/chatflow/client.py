"""Async client for ChatFlow's outbound API (``GET /send-text``, ``/send-image``, …).

Every failure is translated into a typed :class:`~channels.errors.ChatFlowError`:
429 -> :class:`ProviderRateLimited` (with Retry-After), 5xx/timeout/connection ->
:class:`ProviderUnavailable`, other 4xx or a 200 with ``"success": false`` -> :class:`ProviderRejected`.
The client never retries: the outbox worker owns retries (and the idempotency key).
"""

from __future__ import annotations

import email.utils
import math
import time
from types import TracebackType
from typing import Any, Literal, Self

import httpx
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
    "DEFAULT_CHATFLOW_BASE_URL",
    "DEFAULT_MEDIA_TIMEOUT_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "ChatFlowClient",
    "Endpoint",
    "SendResult",
]

DEFAULT_CHATFLOW_BASE_URL = "https://app.chatflow.kz/api/v1"
DEFAULT_TIMEOUT_SECONDS = 15.0
"""Timeout of a send-text call."""
DEFAULT_MEDIA_TIMEOUT_SECONDS = 60.0
"""Timeout of a media call (ChatFlow fetches the file first: tens of seconds are normal)."""
EMPTY_CAPTION = " "
"""ChatFlow requires a caption on image/doc/video; a space stands for none."""

Endpoint = Literal["send-text", "send-image", "send-audio", "send-doc", "send-video"]
_MEDIA_PARAM: dict[Endpoint, str] = {
    "send-image": "imageurl",
    "send-audio": "audiourl",
    "send-doc": "docurl",
    "send-video": "videourl",
}


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


class ChatFlowClient:
    """Sends WhatsApp messages through ChatFlow for any instance the token may use.

    Args:
        token: the ChatFlow API token (callers read it from the environment).
        base_url: API root; point it at the local emulator in tests.
        timeout: seconds for a send-text call; ``media_timeout`` for media calls.
        transport: an httpx transport (e.g. ``httpx.ASGITransport(app=emulator)``) for tests.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_CHATFLOW_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        media_timeout: float = DEFAULT_MEDIA_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError("ChatFlow token is empty: set it from the tenant's settings (environment)")
        self._token = token
        self._timeout = timeout
        self._media_timeout = media_timeout
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", transport=transport)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""
        await self._http.aclose()

    async def send_text(self, instance_id: str, jid: str, text: str, idempotency_key: str) -> SendResult:
        """Send a text message (``GET send-text``) with ``msg_id=idempotency_key``."""
        if not text:
            raise ValueError("refusing to send an empty WhatsApp text: compose the reply first")
        params = {"instance_id": instance_id, "jid": jid, "msg": text, "msg_id": idempotency_key}
        return await self._send("send-text", params, self._timeout)

    async def send_image(
        self, instance_id: str, jid: str, image_url: str, idempotency_key: str, caption: str = ""
    ) -> SendResult:
        """Send an image by public URL; an empty caption is sent as a space (ChatFlow requires one)."""
        return await self._send_media("send-image", instance_id, jid, image_url, idempotency_key, caption)

    async def send_audio(
        self, instance_id: str, jid: str, audio_url: str, idempotency_key: str
    ) -> SendResult:
        """Send an audio file by public URL."""
        return await self._send_media("send-audio", instance_id, jid, audio_url, idempotency_key, None)

    async def send_doc(
        self, instance_id: str, jid: str, doc_url: str, idempotency_key: str, caption: str = ""
    ) -> SendResult:
        """Send a document by public URL; an empty caption is sent as a space."""
        return await self._send_media("send-doc", instance_id, jid, doc_url, idempotency_key, caption)

    async def send_video(
        self, instance_id: str, jid: str, video_url: str, idempotency_key: str, caption: str = ""
    ) -> SendResult:
        """Send a video by public URL; an empty caption is sent as a space."""
        return await self._send_media("send-video", instance_id, jid, video_url, idempotency_key, caption)

    async def _send_media(
        self,
        endpoint: Endpoint,
        instance_id: str,
        jid: str,
        url: str,
        idempotency_key: str,
        caption: str | None,
    ) -> SendResult:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"{endpoint}: media URL must be a public http(s) URL, got {url[:80]!r}")
        params = {
            "instance_id": instance_id,
            "jid": jid,
            _MEDIA_PARAM[endpoint]: url,
            "msg_id": idempotency_key,
        }
        if caption is not None:
            params["caption"] = caption or EMPTY_CAPTION
        return await self._send(endpoint, params, self._media_timeout)

    async def _send(self, endpoint: Endpoint, params: dict[str, str], timeout: float) -> SendResult:
        where = f"ChatFlow {endpoint} to {mask_jid(params['jid'])} (msg_id {params['msg_id']!r})"
        started = time.monotonic()
        try:
            response = await self._http.get(
                endpoint, params={"token": self._token, **params}, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(
                f"{where}: no answer within {timeout:g} s ({type(exc).__name__}); "
                "transient, retry with backoff"
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                f"{where}: cannot reach ChatFlow ({type(exc).__name__}: {self._scrub(str(exc))}); "
                "transient, retry with backoff"
            ) from exc
        elapsed = time.monotonic() - started
        if response.status_code >= 300:
            raise self._error(where, response)
        payload = _json_object(response.content)
        if payload.get("success") is False:
            raise ProviderRejected(
                f"{where}: HTTP {response.status_code} but success=false: {snippet(response.content)!r}",
                status=response.status_code,
                body=snippet(response.content),
            )
        provider_id = next(
            (str(payload[k]) for k in ("message_id", "messageId", "id") if payload.get(k)), None
        )
        return SendResult(
            endpoint=endpoint,
            msg_id=params["msg_id"],
            provider_message_id=provider_id,
            status=response.status_code,
            elapsed=elapsed,
        )

    def _error(self, where: str, response: httpx.Response) -> ChatFlowError:
        status = response.status_code
        body = self._scrub(snippet(response.content))
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            wait = f"retry after {retry_after:g} s" if retry_after is not None else "no Retry-After given"
            return ProviderRateLimited(
                f"{where}: HTTP 429 rate limited ({wait}); body {body!r}",
                status=status,
                body=body,
                retry_after=retry_after,
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

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")


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
