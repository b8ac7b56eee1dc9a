"""ChatFlow webhook routes: the current ``/webhooks/chatflow/{tenant}`` and the legacy ``/webhook/{tenant}``.

Thin: find the tenant, check its secret, hand the raw body to the ingest (:mod:`api.ingest`: on the
event loop with the group commit while the stores answer fast, else in a worker thread:
:mod:`api.inline_gate`), answer with what happened. The provider only needs a quick 2xx. The good
requests of the current URL never reach these handlers: :mod:`api.fast_webhook` serves them in
front of Litestar's router, through the same :func:`accept_webhook`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, post
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter, QueryParameter

from api.auth import check_webhook_secret
from api.deferred_turns import DeferredTurns
from api.edge import EdgePorts
from api.errors import EdgeError, StoreFailed, TenantNotFound
from api.ingest import IngestResult, ingest, ingest_batched
from api.inline_gate import InlineGate
from api.problems import problem_responses
from storage.inbound_writer import InboundWriter, conninfo
from workers.alerts import Alert
from workers.runtime import Runtime
from workers.tenants import TenantRuntime

__all__ = ["SECRET_HEADER", "WEBHOOK_HANDLERS", "EdgeState", "accept_webhook"]

log = logging.getLogger("truffles.api.webhooks")

SECRET_HEADER = "X-Webhook-Secret"
WEBHOOK_PROBLEMS = problem_responses(400, 401, 403, 404, 413, 503)


class EdgeState:
    """What the handlers share; kept in ``app.state.edge``."""

    def __init__(self, rt: Runtime, ports: EdgePorts, admin_token: str | None) -> None:
        self.rt = rt
        self.ports = ports
        self.admin_token = admin_token
        self._legacy_warned: set[str] = set()
        self._mutex = threading.Lock()
        self.gate = InlineGate(enabled=not rt.db.is_sqlite)
        self.writer: InboundWriter | None = None if rt.db.is_sqlite else InboundWriter(conninfo(rt.db))
        self.turns = DeferredTurns(rt.queue)

    async def close(self) -> None:
        """App shutdown: commit what the group commit holds, close its connection."""
        if self.writer is not None:
            await self.writer.close()
        self.turns.flush()

    def discard(self) -> None:
        """Close the group commit's connection now, without its event loop (tests; see InboundWriter)."""
        if self.writer is not None:
            self.writer.discard()

    def warn_legacy_once(self, tenant_id: str) -> None:
        with self._mutex:
            if tenant_id in self._legacy_warned:
                return
            self._legacy_warned.add(tenant_id)
        log.warning(
            "tenant=%s uses the deprecated webhook URL /webhook/%s?webhook_secret=… (a secret in the query "
            "string ends up in access logs): point ChatFlow at /webhooks/chatflow/%s with header %s",
            tenant_id,
            tenant_id,
            tenant_id,
            SECRET_HEADER,
        )


def _tenant(edge: EdgeState, tenant_id: str) -> TenantRuntime:
    found = edge.rt.tenants.find(tenant_id)
    if found is None:
        log.warning("webhook for unknown tenant %r refused", tenant_id[:64])
        raise TenantNotFound(
            f"no tenant {tenant_id[:64]!r} is served here; check the webhook URL configured in ChatFlow"
        )
    return found


async def _handle(
    edge: EdgeState, tenant_id: str, request: Request[Any, Any, Any], secret: str | None, where: str
) -> dict[str, Any]:
    started = time.perf_counter()
    rt = edge.rt
    try:
        tenant = _tenant(edge, tenant_id)
        try:
            check_webhook_secret(tenant, secret, where=where)
        except EdgeError as exc:
            log.warning("tenant=%s webhook refused: %s", tenant.id, exc)
            rt.alerts.raise_alert(
                Alert(tenant.id, "webhook_secret", f"a ChatFlow webhook refused: {exc.title}")
            )
            raise
    except EdgeError as exc:
        rt.telemetry.webhooks.labels(
            tenant_id if rt.tenants.find(tenant_id) else "_unknown", f"{exc.status}"
        ).inc()
        raise
    return await accept_webhook(edge, tenant, await request.body(), started)


async def accept_webhook(
    edge: EdgeState, tenant: TenantRuntime, body: bytes, started: float
) -> dict[str, Any]:
    """Ingest the body of a webhook whose tenant and secret are checked; the 200 answer's content.

    ``started``: ``time.perf_counter()`` when the request arrived (the ACK-time histogram).
    Shared by the Litestar route and the framework-free hot path (:mod:`api.fast_webhook`).
    """
    rt = edge.rt
    try:
        result = await _ingest(edge, tenant, body)
    except EdgeError as exc:
        rt.telemetry.webhooks.labels(tenant.id, f"{exc.status}").inc()
        raise
    rt.telemetry.webhooks.labels(tenant.id, result.outcome).inc()
    rt.telemetry.ack_seconds.labels(tenant.id).observe(time.perf_counter() - started)
    return {"status": result.outcome, "message_id": result.message_id}


async def _ingest(edge: EdgeState, tenant: TenantRuntime, body: bytes) -> IngestResult:
    """On the event loop while the stores answer fast, in a worker thread otherwise (api.inline_gate).

    On the loop with PostgreSQL, the store joins the process's group commit
    (:class:`~storage.inbound_writer.InboundWriter`); the gate then times only what blocks the loop.
    """
    inline = edge.gate.inline()
    started = time.perf_counter()
    failed = False
    waited = 0.0
    try:
        if inline and edge.writer is not None:
            result = await ingest_batched(edge.rt, edge.ports, tenant, body, edge.writer, edge.turns)
            waited = result.store_wait_seconds
            return result
        if inline:
            return ingest(edge.rt, edge.ports, tenant, body)
        return await anyio.to_thread.run_sync(ingest, edge.rt, edge.ports, tenant, body)
    except StoreFailed:
        failed = True
        raise
    finally:
        edge.gate.record(time.perf_counter() - started - waited, failed=failed, inline=inline)


@post(
    "/webhooks/chatflow/{tenant_id:str}",
    status_code=200,
    summary="ChatFlow inbound message",
    responses=WEBHOOK_PROBLEMS,
)
async def chatflow_webhook(
    tenant_id: FromPath[str],
    request: Request[Any, Any, Any],
    state: State,
    secret: Annotated[str | None, HeaderParameter(name=SECRET_HEADER, required=False)] = None,
) -> dict[str, Any]:
    """Store one customer message and acknowledge it; the reply is decided and sent asynchronously."""
    return await _handle(state.edge, tenant_id, request, secret, f"header {SECRET_HEADER}")


@post(
    "/webhook/{tenant_id:str}",
    status_code=200,
    summary="Legacy ChatFlow webhook (deprecated)",
    responses=WEBHOOK_PROBLEMS,
)
async def legacy_webhook(
    tenant_id: FromPath[str],
    request: Request[Any, Any, Any],
    state: State,
    webhook_secret: Annotated[str | None, QueryParameter(name="webhook_secret", required=False)] = None,
    secret: Annotated[str | None, HeaderParameter(name=SECRET_HEADER, required=False)] = None,
) -> dict[str, Any]:
    """The earlier system's URL: same handling; the secret may come in the query string (deprecated)."""
    edge: EdgeState = state.edge
    if edge.rt.tenants.find(tenant_id) is not None:
        edge.warn_legacy_once(tenant_id)
    where = f"query parameter webhook_secret or header {SECRET_HEADER}"
    return await _handle(edge, tenant_id, request, secret or webhook_secret, where)


WEBHOOK_HANDLERS = [chatflow_webhook, legacy_webhook]
