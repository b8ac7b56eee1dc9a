"""A blocking ChatFlow client for worker threads: one keep-alive ``http.client`` connection.

The outbox sends from dramatiq's worker threads. Driving the async :class:`ChatFlowClient` from
there costs an event-loop turn, anyio bookkeeping and httpx's URL machinery per call: measured on
the emulator, ~2.6 ms of CPU per call against ~0.3 ms here (``bench/README.md``), and a worker's
CPU is what bounds outbox throughput. Same parameters, same results, same typed errors
(:mod:`channels.chatflow.wire`); not thread-safe: one instance per thread.

A request that fails on a *reused* keep-alive connection before any answer arrived (the server
closed it while idle) is sent once more on a fresh connection; that resend is harmless because
ChatFlow deduplicates on ``msg_id``, our idempotency key. Every other failure is reported, never
retried here: the outbox owns retries.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.parse

from channels.chatflow.wire import (
    Endpoint,
    SendResult,
    describe_call,
    interpret_response,
    media_params,
    text_params,
)
from channels.errors import ProviderUnavailable

__all__ = ["BlockingChatFlowClient"]

_STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class BlockingChatFlowClient:
    """Sends WhatsApp messages through ChatFlow; blocking, one connection, one thread.

    Args:
        token: the ChatFlow API token.
        base_url: API root, e.g. ``https://app.chatflow.kz/api/v1`` or the emulator's.
        timeout: seconds for a send-text call; ``media_timeout`` for media calls.
    """

    def __init__(self, token: str, *, base_url: str, timeout: float, media_timeout: float) -> None:
        if not token:
            raise ValueError("ChatFlow token is empty: set it from the tenant's settings (environment)")
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"ChatFlow base URL {base_url!r} is not an http(s) URL with a host")
        self._token = token
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port or (443 if self._https else 80)
        self._path = parsed.path.rstrip("/") + "/"
        self._timeout = timeout
        self._media_timeout = media_timeout
        self._connection: http.client.HTTPConnection | None = None

    def send_text(self, instance_id: str, jid: str, text: str, idempotency_key: str) -> SendResult:
        params = text_params(instance_id, jid, text, idempotency_key)
        return self._send("send-text", params, self._timeout)

    def send_media(
        self,
        endpoint: Endpoint,
        instance_id: str,
        jid: str,
        url: str,
        idempotency_key: str,
        caption: str | None,
    ) -> SendResult:
        params = media_params(endpoint, instance_id, jid, url, idempotency_key, caption)
        return self._send(endpoint, params, self._media_timeout)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _send(self, endpoint: Endpoint, params: dict[str, str], timeout: float) -> SendResult:
        where = describe_call(endpoint, params)
        target = f"{self._path}{endpoint}?{urllib.parse.urlencode({'token': self._token, **params})}"
        started = time.monotonic()
        try:
            status, retry_after, content = self._request(target, timeout)
        except TimeoutError as exc:
            self.close()
            raise ProviderUnavailable(
                f"{where}: no answer within {timeout:g} s ({type(exc).__name__}); "
                "transient, retry with backoff"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ProviderUnavailable(
                f"{where}: cannot reach ChatFlow ({type(exc).__name__}: {self._scrub(str(exc))}); "
                "transient, retry with backoff"
            ) from exc
        return interpret_response(
            endpoint,
            params["msg_id"],
            where,
            status=status,
            retry_after=retry_after,
            content=content,
            elapsed=time.monotonic() - started,
            scrub=self._scrub,
        )

    def _request(self, target: str, timeout: float) -> tuple[int, str | None, bytes]:
        reused = self._connection is not None
        try:
            return self._exchange(target, timeout)
        except _STALE_CONNECTION_ERRORS:
            self.close()
            if not reused:
                raise
            return self._exchange(target, timeout)  # the idle connection had been closed by the server

    def _exchange(self, target: str, timeout: float) -> tuple[int, str | None, bytes]:
        connection = self._connection or self._connect(timeout)
        self._connection = connection
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        connection.request("GET", target, headers={"Accept": "application/json"})
        response = connection.getresponse()
        content = response.read()
        if response.will_close:
            self.close()
        return response.status, response.getheader("retry-after"), content

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")
