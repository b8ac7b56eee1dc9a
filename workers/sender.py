"""Call ChatFlow from dramatiq's worker threads.

Each worker thread keeps one :class:`~channels.chatflow.blocking.BlockingChatFlowClient` (one
keep-alive connection) per token: no event loop per thread, ~0.3 ms of CPU per call.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from channels.chatflow.blocking import BlockingChatFlowClient
from channels.chatflow.client import DEFAULT_MEDIA_TIMEOUT_SECONDS, SendResult
from channels.chatflow.wire import Endpoint

__all__ = ["MEDIA_KINDS", "ChatFlowSender", "MediaSender", "TextSender"]

MEDIA_KINDS = ("image", "doc", "audio")
"""What the outbox sends as media: ChatFlow's ``send-image``, ``send-doc``, ``send-audio``."""
_ENDPOINTS: dict[str, Endpoint] = {"image": "send-image", "doc": "send-doc", "audio": "send-audio"}


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
    """A :class:`TextSender` and :class:`MediaSender` over ChatFlow (the real one or the emulator).

    Args:
        base_url: the ChatFlow API root, e.g. ``https://app.chatflow.kz/api/v1``.
        timeout: seconds before a send-text call counts as a (transient) timeout.
    """

    def __init__(self, base_url: str, *, timeout: float) -> None:
        self.base_url = base_url
        self._timeout = timeout
        self._local = threading.local()
        self._clients: list[BlockingChatFlowClient] = []
        self._mutex = threading.Lock()

    def send_text(
        self, token: str, instance_id: str, jid: str, text: str, idempotency_key: str
    ) -> SendResult:
        return self._client(token).send_text(instance_id, jid, text, idempotency_key)

    def send_media(
        self, token: str, instance_id: str, jid: str, kind: str, url: str, idempotency_key: str, caption: str
    ) -> SendResult:
        endpoint = _ENDPOINTS.get(kind)
        if endpoint is None:
            raise ValueError(f"media kind {kind!r} is not one of {MEDIA_KINDS}")
        caption_sent = None if kind == "audio" else caption  # ChatFlow's send-audio takes no caption
        return self._client(token).send_media(endpoint, instance_id, jid, url, idempotency_key, caption_sent)

    def close(self) -> None:
        """Close every thread's connection (call once the worker threads have stopped)."""
        with self._mutex:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _client(self, token: str) -> BlockingChatFlowClient:
        clients: dict[str, BlockingChatFlowClient] | None = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        client = clients.get(token)
        if client is None:
            client = BlockingChatFlowClient(
                token,
                base_url=self.base_url,
                timeout=self._timeout,
                media_timeout=DEFAULT_MEDIA_TIMEOUT_SECONDS,
            )
            clients[token] = client
            with self._mutex:
                self._clients.append(client)
        return client
