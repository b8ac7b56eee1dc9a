"""Call the async ChatFlow client from dramatiq's worker threads.

Each worker thread keeps one event loop (``asyncio.Runner``) and one :class:`ChatFlowClient` per
token, so connections are pooled per thread and nothing crosses loops.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import httpx

from channels.chatflow.client import ChatFlowClient, SendResult
from workers.thread_clients import ThreadClients

__all__ = ["MEDIA_KINDS", "ChatFlowSender", "MediaSender", "TextSender"]

MEDIA_KINDS = ("image", "doc", "audio")
"""What the outbox sends as media: ChatFlow's ``send-image``, ``send-doc``, ``send-audio``."""


class TextSender(Protocol):
    def send_text(
        self, token: str, instance_id: str, jid: str, text: str, idempotency_key: str
    ) -> SendResult:
        """Send one WhatsApp text; raises :class:`channels.errors.ChatFlowError` subclasses on failure."""
        ...


@runtime_checkable
class MediaSender(Protocol):
    def send_media(
        self, token: str, instance_id: str, jid: str, kind: str, url: str, idempotency_key: str, caption: str
    ) -> SendResult:
        """Send one WhatsApp media message (``kind`` in :data:`MEDIA_KINDS`) by public URL."""
        ...


class ChatFlowSender:
    """A :class:`TextSender` over :class:`ChatFlowClient` (the real ChatFlow or the emulator).

    Args:
        base_url: the ChatFlow API root, e.g. ``https://app.chatflow.kz/api/v1``.
        timeout: seconds before a send-text call counts as a (transient) timeout.
        transport: an httpx transport for tests.
    """

    def __init__(
        self, base_url: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url
        self._timeout = timeout
        self._transport = transport
        self._clients: ThreadClients[ChatFlowClient] = ThreadClients(
            lambda token: ChatFlowClient(token, base_url=base_url, timeout=timeout, transport=transport)
        )

    def send_text(
        self, token: str, instance_id: str, jid: str, text: str, idempotency_key: str
    ) -> SendResult:
        return self._clients.run(token, lambda c: c.send_text(instance_id, jid, text, idempotency_key))

    def send_media(
        self, token: str, instance_id: str, jid: str, kind: str, url: str, idempotency_key: str, caption: str
    ) -> SendResult:
        key = idempotency_key
        if kind == "image":
            return self._clients.run(token, lambda c: c.send_image(instance_id, jid, url, key, caption))
        if kind == "doc":
            return self._clients.run(token, lambda c: c.send_doc(instance_id, jid, url, key, caption))
        if kind == "audio":
            return self._clients.run(token, lambda c: c.send_audio(instance_id, jid, url, key))
        raise ValueError(f"media kind {kind!r} is not one of {MEDIA_KINDS}")

    def close(self) -> None:
        """Close every thread's clients and loop (call once the worker threads have stopped)."""
        self._clients.close()
