"""The few ASGI pieces the emulators need: read a request, send a response.

The emulators are plain ASGI so that they behave exactly as written (no framework retries,
validation or error pages in the way of the fault injection they exist for).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import anyio
import msgspec

__all__ = [
    "ASGIApp",
    "Receive",
    "Request",
    "Response",
    "Scope",
    "Send",
    "json_response",
    "read_request",
    "send_response",
    "serve_lifespan",
    "text_response",
    "wait_for_disconnect",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP request, fully read."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON (``{}`` when empty). Raises ``msgspec.DecodeError`` when invalid."""
        return msgspec.json.decode(self.body) if self.body.strip() else {}


class Response(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP response to send."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = msgspec.field(default_factory=dict)


def json_response(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response; Structs, dicts and lists are encoded with msgspec."""
    return Response(status=status, body=msgspec.json.encode(payload), headers=headers or {})


def text_response(text: str, status: int = 200) -> Response:
    """A UTF-8 plain-text response."""
    return Response(status=status, body=text.encode(), content_type="text/plain; charset=utf-8")


async def read_request(scope: Scope, receive: Receive) -> Request:
    """Read the whole request body and decode path, query and headers."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    raw_query = scope.get("query_string", b"").decode("latin-1")
    return Request(
        method=scope["method"],
        path=scope["path"],
        query=dict(parse_qsl(raw_query, keep_blank_values=True)),
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
        body=b"".join(chunks),
    )


async def send_response(send: Send, response: Response) -> None:
    """Send a complete response."""
    headers = [(b"content-type", response.content_type.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in response.headers.items()]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def wait_for_disconnect(receive: Receive, seconds: float) -> None:
    """Hold a request for ``seconds``, or less if the client hangs up first."""
    with anyio.move_on_after(seconds):
        while (await receive())["type"] != "http.disconnect":
            pass


async def serve_lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge ASGI lifespan startup and shutdown (the emulators need no setup)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
