"""The hot route without the framework: ``POST /webhooks/chatflow/{tenant}`` with a good secret.

Every customer message arrives on this route; Litestar's routing, parameter parsing and response
machinery cost ~18 % of an API process's CPU on it (py-spy under 500 webhooks/s). This ASGI layer
sits in front of Litestar's router and serves that route itself when the request is one Litestar
would accept: a known tenant, the right ``X-Webhook-Secret`` header, a body within the size limit.
It then runs exactly what the Litestar handler runs (:func:`api.webhooks.accept_webhook`) and
answers with the same JSON, or the same problem details (:func:`api.problems.edge_problem_body`).

Everything else passes to Litestar untouched: other routes, the legacy URL, an unknown tenant, a
missing or wrong secret, an oversized body (the bytes already read are replayed). Those checks are
pure, so Litestar repeats them and does what it does on a refusal (log line, alert, metrics, 4xx),
once. The OpenAPI schema still documents the route from the Litestar handler.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from api.auth import check_webhook_secret
from api.errors import EdgeError
from api.problems import PROBLEM_MEDIA_TYPE, edge_problem_body
from api.webhooks import SECRET_HEADER, EdgeState, accept_webhook
from workers.tenants import TenantRuntime

__all__ = ["ChatflowFastPath"]

log = logging.getLogger("truffles.api.webhooks")

PREFIX = "/webhooks/chatflow/"
_SECRET_HEADER = SECRET_HEADER.lower().encode()
_INTERNAL_ERROR = {"status": 500, "title": "Internal Server Error", "detail": "Internal Server Error"}


class ChatflowFastPath:
    """Wraps Litestar's ASGI handler (``Litestar.asgi_handler``); ``served`` counts what it answered."""

    def __init__(self, app: ASGIApp, edge: EdgeState) -> None:
        self._app = app
        self._edge = edge
        self._max_body = edge.rt.settings.max_body_bytes
        self.served = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        tenant_id = _tenant_id(scope)
        tenant = self._edge.rt.tenants.find(tenant_id) if tenant_id else None
        if tenant is None or not self._secret_ok(tenant, scope):
            await self._app(scope, receive, send)
            return
        body, complete = await _read_body(receive, self._max_body)
        if not complete:  # over the limit: Litestar answers 413, from the replayed bytes on
            await self._app(scope, _replay(body, receive), send)
            return
        self.served += 1
        try:
            content = await accept_webhook(self._edge, tenant, body, started)
        except EdgeError as exc:
            await _respond(send, exc.status, edge_problem_body(exc), PROBLEM_MEDIA_TYPE)
        except Exception:
            log.exception("tenant=%s webhook failed unexpectedly", tenant.id)
            await _respond(send, 500, _INTERNAL_ERROR, PROBLEM_MEDIA_TYPE)
        else:
            await _respond(send, 200, content, "application/json")

    @staticmethod
    def _secret_ok(tenant: TenantRuntime, scope: Scope) -> bool:
        given = None
        for name, value in scope.get("headers", ()):
            if name == _SECRET_HEADER:
                given = value.decode("latin-1")
                break
        try:
            check_webhook_secret(tenant, given, where=f"header {SECRET_HEADER}")
        except EdgeError:
            return False
        return True


def _tenant_id(scope: Scope) -> str | None:
    """The tenant of a ``POST /webhooks/chatflow/{tenant}`` request; None for anything else."""
    if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
        return None
    path: str = scope.get("path", "")
    if not path.startswith(PREFIX):
        return None
    tenant_id = path[len(PREFIX) :]
    return tenant_id if tenant_id and "/" not in tenant_id else None


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, and False if it grew past ``limit`` bytes (then only what was read so far)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that first hands out ``body`` (read already), then the rest of the stream."""
    sent = False

    async def replayed() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            first: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": True}
            return first
        return await receive()

    return replayed


async def _respond(send: Send, status: int, content: dict[str, Any], media_type: str) -> None:
    payload = msgspec.json.encode(content)
    headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(payload)).encode())]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": payload, "more_body": False}
    await send(start)
    await send(end)
