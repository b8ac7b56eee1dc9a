"""Call the async ChatFlow client from dramatiq's worker threads.

Each worker thread keeps one event loop (``asyncio.Runner``) and one :class:`ChatFlowClient` per
token, so connections are pooled per thread and nothing crosses loops.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol, runtime_checkable

import httpx

from channels.chatflow.client import ChatFlowClient, SendResult

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


class _ThreadState:
    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.clients: dict[str, ChatFlowClient] = {}


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
        self._local = threading.local()
        self._all: list[_ThreadState] = []
        self._mutex = threading.Lock()

    def send_text(
        self, token: str, instance_id: str, jid: str, text: str, idempotency_key: str
    ) -> SendResult:
        state = self._state()
        client = state.clients.get(token)
        if client is None:
            client = ChatFlowClient(
                token, base_url=self.base_url, timeout=self._timeout, transport=self._transport
            )
            state.clients[token] = client
        return state.runner.run(client.send_text(instance_id, jid, text, idempotency_key))

    def send_media(
        self, token: str, instance_id: str, jid: str, kind: str, url: str, idempotency_key: str, caption: str
    ) -> SendResult:
        state = self._state()
        client = state.clients.get(token)
        if client is None:
            client = ChatFlowClient(
                token, base_url=self.base_url, timeout=self._timeout, transport=self._transport
            )
            state.clients[token] = client
        if kind == "image":
            return state.runner.run(client.send_image(instance_id, jid, url, idempotency_key, caption))
        if kind == "doc":
            return state.runner.run(client.send_doc(instance_id, jid, url, idempotency_key, caption))
        if kind == "audio":
            return state.runner.run(client.send_audio(instance_id, jid, url, idempotency_key))
        raise ValueError(f"media kind {kind!r} is not one of {MEDIA_KINDS}")

    def close(self) -> None:
        """Close every thread's clients and loop (call once the worker threads have stopped)."""
        with self._mutex:
            states, self._all = self._all, []
        for state in states:
            for client in state.clients.values():
                state.runner.run(client.aclose())
            state.runner.close()

    def _state(self) -> _ThreadState:
        state: _ThreadState | None = getattr(self._local, "state", None)
        if state is None:
            state = _ThreadState()
            self._local.state = state
            with self._mutex:
                self._all.append(state)
        return state
