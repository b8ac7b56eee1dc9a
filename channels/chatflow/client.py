"""Async client for ChatFlow's outbound API (``GET /send-text``, ``/send-image``, …).

Every failure is translated into a typed :class:`~channels.errors.ChatFlowError`:
429 -> :class:`ProviderRateLimited` (with Retry-After), 5xx/timeout/connection ->
:class:`ProviderUnavailable`, other 4xx or a 200 with ``"success": false`` -> :class:`ProviderRejected`
(:mod:`channels.chatflow.wire`). The client never retries: the outbox worker owns retries (and the
idempotency key). :mod:`channels.chatflow.blocking` is the same client for worker threads.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

import httpx

from channels.chatflow.wire import (
    Endpoint,
    SendResult,
    describe_call,
    interpret_response,
    media_params,
    parse_retry_after,
    text_params,
)
from channels.errors import ProviderUnavailable

__all__ = [
    "DEFAULT_CHATFLOW_BASE_URL",
    "DEFAULT_MEDIA_TIMEOUT_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "ChatFlowClient",
    "Endpoint",
    "SendResult",
    "parse_retry_after",
]

DEFAULT_CHATFLOW_BASE_URL = "https://app.chatflow.kz/api/v1"
DEFAULT_TIMEOUT_SECONDS = 15.0
"""Timeout of a send-text call."""
DEFAULT_MEDIA_TIMEOUT_SECONDS = 60.0
"""Timeout of a media call (ChatFlow fetches the file first: tens of seconds are normal)."""


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
        return await self._send(
            "send-text", text_params(instance_id, jid, text, idempotency_key), self._timeout
        )

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
        params = media_params(endpoint, instance_id, jid, url, idempotency_key, caption)
        return await self._send(endpoint, params, self._media_timeout)

    async def _send(self, endpoint: Endpoint, params: dict[str, str], timeout: float) -> SendResult:
        where = describe_call(endpoint, params)
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
        return interpret_response(
            endpoint,
            params["msg_id"],
            where,
            status=response.status_code,
            retry_after=response.headers.get("retry-after"),
            content=response.content,
            elapsed=time.monotonic() - started,
            scrub=self._scrub,
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")
