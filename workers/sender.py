"""Call ChatFlow from dramatiq's worker threads.

Each worker thread keeps one :class:`~channels.chatflow.blocking.BlockingChatFlowClient` (one
keep-alive connection) per token. With an injected httpx transport (tests that run the emulator
in-process) each thread instead keeps an event loop and an async :class:`ChatFlowClient` per token.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import httpx

from channels.chatflow.blocking import BlockingChatFlowClient
from channels.chatflow.client import DEFAULT_MEDIA_TIMEOUT_SECONDS, ChatFlowClient, SendResult
from channels.chatflow.wire import Endpoint
from workers.thread_clients import ThreadClients

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
        self._local = threading.local()
        self._blocking: list[BlockingChatFlowClient] = []
        self._mutex = threading.Lock()

    def send_text(
        self, token: str, instance_id: str, jid: str, text: str, idempotency_key: str
    ) -> SendResult:
        if self._transport is None:
            return self._blocking_client(token).send_text(instance_id, jid, text, idempotency_key)
        return self._clients.run(token, lambda c: c.send_text(instance_id, jid, text, idempotency_key))

    def send_media(
        self, token: str, instance_id: str, jid: str, kind: str, url: str, idempotency_key: str, caption: str
    ) -> SendResult:
        if kind not in _ENDPOINTS:
            raise ValueError(f"media kind {kind!r} is not one of {MEDIA_KINDS}")
        if self._transport is None:
            endpoint = _ENDPOINTS[kind]
            return self._blocking_client(token).send_media(
                endpoint, instance_id, jid, url, idempotency_key, None if kind == "audio" else caption
            )
        key = idempotency_key
        if kind == "doc":
            return self._clients.run(token, lambda c: c.send_doc(instance_id, jid, url, key, caption))
        if kind == "audio":
            return self._clients.run(token, lambda c: c.send_audio(instance_id, jid, url, key))
        return self._clients.run(token, lambda c: c.send_image(instance_id, jid, url, key, caption))

    def close(self) -> None:
        """Close every thread's clients and loop (call once the worker threads have stopped)."""
        self._clients.close()
        with self._mutex:
            blocking, self._blocking = self._blocking, []
        for client in blocking:
            client.close()

    def _blocking_client(self, token: str) -> BlockingChatFlowClient:
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
                self._blocking.append(client)
        return client
