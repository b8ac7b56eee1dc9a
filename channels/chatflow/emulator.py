"""A local ChatFlow emulator (ASGI), for tests and for running Truffles on a laptop.

Provider API (the real query parameters): ``GET /api/v1/send-text`` (``token``, ``instance_id``,
``jid``, ``msg``, ``msg_id``), ``send-image`` (``imageurl``), ``send-audio`` (``audiourl``),
``send-doc`` (``docurl``), ``send-video`` (``videourl``); image/doc/video need ``caption``.

Control API: ``GET /_emulator/outbox`` (deliveries), ``GET /_emulator/msg-ids`` (deliveries per
``msg_id``), ``GET /_emulator/calls`` (every attempt, failed ones too), ``POST /_emulator/faults``
(see :mod:`channels.faults`), ``GET /_emulator/faults``, ``POST /_emulator/reset``.

Like ChatFlow (as far as we know) it does not deduplicate on ``msg_id``; it counts, so a test can
assert "delivered exactly once". Run it with ``python -m channels.chatflow.emulator --port 8081``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Collection

import anyio
import msgspec

from channels._asgi import (
    Receive,
    Request,
    Response,
    Scope,
    Send,
    json_response,
    read_request,
    send_response,
    serve_lifespan,
    text_response,
    wait_for_disconnect,
)
from channels.faults import FaultInjector, parse_fault_spec
from channels.serving import emulator_main, run_app

__all__ = [
    "API_PREFIX",
    "CallRecord",
    "ChatFlowEmulator",
    "Delivery",
    "create_chatflow_emulator_app",
    "run_chatflow_emulator",
]

API_PREFIX = "/api/v1/"
DEFAULT_EMULATOR_PORT = 8081
_MEDIA_PARAM = {
    "send-image": "imageurl",
    "send-audio": "audiourl",
    "send-doc": "docurl",
    "send-video": "videourl",
}
_CAPTION_REQUIRED = frozenset({"send-image", "send-doc", "send-video"})
_JID = re.compile(r"\d{7,15}@s\.whatsapp\.net|\d+@lid")


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """A message the emulator accepted ("delivered to the customer's phone")."""

    seq: int
    endpoint: str
    instance_id: str
    jid: str
    msg_id: str | None
    text: str | None
    media_url: str | None
    caption: str | None
    provider_message_id: str
    copy_number: int
    """1 for the first delivery of this ``msg_id``, 2 for its first duplicate, …"""
    at: float


class CallRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One call to the provider API, whatever its outcome."""

    seq: int
    endpoint: str
    msg_id: str | None
    status: int
    outcome: str
    at: float


class ChatFlowEmulator:
    """The emulator's ASGI app; its state is also readable in-process (``deliveries``, ``calls``).

    Args:
        tokens: tokens to accept; None accepts any non-empty token.
        clock: time source for the ``at`` fields.
    """

    def __init__(
        self, *, tokens: Collection[str] | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.tokens = None if tokens is None else frozenset(tokens)
        self.clock = clock
        self.faults = FaultInjector()
        self.deliveries: list[Delivery] = []
        self.calls: list[CallRecord] = []
        self._per_msg_id: Counter[str] = Counter()

    def reset(self) -> None:
        """Forget deliveries, calls and faults."""
        self.deliveries.clear()
        self.calls.clear()
        self._per_msg_id.clear()
        self.faults.reset()

    def delivery_count(self, msg_id: str) -> int:
        """How many times a message with this ``msg_id`` was delivered."""
        return self._per_msg_id[msg_id]

    def duplicates(self) -> dict[str, int]:
        """``msg_id`` -> deliveries, for every id delivered more than once."""
        return {msg_id: n for msg_id, n in self._per_msg_id.items() if n > 1}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive)
        await send_response(send, await self._route(request, receive))

    async def _route(self, request: Request, receive: Receive) -> Response:
        path = request.path
        if path.startswith(API_PREFIX) and path[len(API_PREFIX) :] in ("send-text", *_MEDIA_PARAM):
            if request.method != "GET":
                return _fail(405, f"{path} takes GET with query parameters, not {request.method}")
            return await self._provider_call(path[len(API_PREFIX) :], request, receive)
        return self._control(request)

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/_emulator/outbox"):
            return json_response(self.deliveries)
        if route == ("GET", "/_emulator/msg-ids"):
            return json_response(dict(self._per_msg_id))
        if route == ("GET", "/_emulator/calls"):
            return json_response(self.calls)
        if route == ("GET", "/_emulator/faults"):
            return json_response(self.faults.pending())
        if route == ("POST", "/_emulator/faults"):
            try:
                self.faults.add(parse_fault_spec(request.body))
            except ValueError as exc:
                return _fail(400, str(exc))
            return json_response({"ok": True, "pending": self.faults.pending()})
        if route == ("POST", "/_emulator/reset"):
            self.reset()
            return json_response({"ok": True})
        if request.path == "/":
            return text_response(__doc__ or "")
        return _fail(404, f"no route {request.method} {request.path}; see GET / for the API")

    async def _provider_call(self, endpoint: str, request: Request, receive: Receive) -> Response:
        query = request.query
        msg_id = query.get("msg_id") or None
        fault = self.faults.next_fault(endpoint)
        if fault is not None and fault.mode == "slow":
            await anyio.sleep(fault.delay)
        elif fault is not None:
            if fault.mode == "timeout":
                await wait_for_disconnect(receive, fault.delay)
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            self._record(endpoint, msg_id, fault.status or 500, f"fault {fault.mode}")
            body = {"success": False, "error": f"emulated fault {fault.mode}"}
            return json_response(body, status=fault.status or 500, headers=headers)
        problem = self._invalid(endpoint, query)
        if problem is not None:
            status, reason = problem
            self._record(endpoint, msg_id, status, reason)
            return _fail(status, reason)
        return json_response(self._deliver(endpoint, query, msg_id))

    def _invalid(self, endpoint: str, query: dict[str, str]) -> tuple[int, str] | None:
        token = query.get("token", "")
        if not token or (self.tokens is not None and token not in self.tokens):
            return 401, "invalid or missing token"
        if not query.get("instance_id"):
            return 400, "instance_id is required"
        if not _JID.fullmatch(query.get("jid", "")):
            return 400, "jid must be <digits>@s.whatsapp.net or <digits>@lid"
        if endpoint == "send-text" and not query.get("msg"):
            return 400, "msg is required"
        media_param = _MEDIA_PARAM.get(endpoint)
        if media_param and not query.get(media_param, "").startswith(("http://", "https://")):
            return 400, f"{media_param} must be a public http(s) URL"
        if endpoint in _CAPTION_REQUIRED and not query.get("caption"):
            return 400, "caption is required (send a space when there is none)"
        return None

    def _deliver(self, endpoint: str, query: dict[str, str], msg_id: str | None) -> dict[str, object]:
        seq = len(self.deliveries) + 1
        copy_number = 1
        if msg_id is not None:
            self._per_msg_id[msg_id] += 1
            copy_number = self._per_msg_id[msg_id]
        media_param = _MEDIA_PARAM.get(endpoint)
        delivery = Delivery(
            seq=seq,
            endpoint=endpoint,
            instance_id=query["instance_id"],
            jid=query["jid"],
            msg_id=msg_id,
            text=query.get("msg"),
            media_url=query.get(media_param) if media_param else None,
            caption=query.get("caption"),
            provider_message_id=f"cf-{seq:06d}",
            copy_number=copy_number,
            at=self.clock(),
        )
        self.deliveries.append(delivery)
        self._record(endpoint, msg_id, 200, "delivered")
        return {"success": True, "message_id": delivery.provider_message_id, "msg_id": msg_id}

    def _record(self, endpoint: str, msg_id: str | None, status: int, outcome: str) -> None:
        seq = len(self.calls) + 1
        self.calls.append(
            CallRecord(
                seq=seq, endpoint=endpoint, msg_id=msg_id, status=status, outcome=outcome, at=self.clock()
            )
        )


def _fail(status: int, reason: str) -> Response:
    return json_response({"success": False, "error": reason}, status=status)


def create_chatflow_emulator_app(
    *, tokens: Collection[str] | None = None, clock: Callable[[], float] = time.time
) -> ChatFlowEmulator:
    """A fresh emulator (an ASGI app with in-memory state)."""
    return ChatFlowEmulator(tokens=tokens, clock=clock)


def run_chatflow_emulator(host: str = "127.0.0.1", port: int = DEFAULT_EMULATOR_PORT) -> None:
    """Serve a fresh emulator with uvicorn until interrupted."""
    run_app(create_chatflow_emulator_app(), host=host, port=port)


def main(argv: list[str] | None = None) -> None:
    """``python -m channels.chatflow.emulator [--host H] [--port P]``."""
    emulator_main("Local ChatFlow emulator", create_chatflow_emulator_app, DEFAULT_EMULATOR_PORT, argv)


if __name__ == "__main__":
    main()
