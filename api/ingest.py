"""Ingest one ChatFlow webhook: parse, dedup, rate-limit, store, enqueue. No HTTP here.

The handler calls :func:`ingest_batched` on the event loop (PostgreSQL: the store joins a group
commit) or :func:`ingest` (blocking: in a worker thread, or SQLite) and maps errors to problem
details. Nothing is half-written: the message is stored in one transaction or not at all (a group
commit's batch that fails is retried write by write); a store failure raises
:class:`~api.errors.StoreFailed` (5xx) so the provider re-delivers; an enqueue failure after the
store is only logged, because the sweeper re-enqueues stored-but-unprocessed messages.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from api.deferred_turns import DeferredTurns
from api.edge import EdgePorts
from api.errors import BadPayload, StoreFailed
from api.ratelimit import Bucket
from channels.chatflow.inbound import InboundMessage, parse_inbound
from channels.errors import ChannelPayloadError, InboundIgnored
from storage import InboundDraft, InboundOutcome, StaleWrite, StorageError
from storage.inbound_writer import InboundWriter
from storage.log_context import correlation_id_for, current_correlation_id, log_context
from workers.alerts import Alert
from workers.queue import TurnJob
from workers.runtime import Runtime
from workers.tenants import TenantRuntime
from workers.turn_input import REFUSED_TOO_LARGE, REFUSED_VIDEO

__all__ = ["IngestResult", "ingest", "ingest_batched"]

log = logging.getLogger("truffles.api.ingest")

Outcome = Literal["stored", "duplicate", "ignored", "rate_limited"]
RATE_ALERT_ONCE_SECONDS = 3600.0
"""A customer over the limit alerts the managers at most once per this period."""
RATE_LIMITED_RETRIES = 3


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    message_id: str | None = None
    detail: str = ""
    store_wait_seconds: float = 0.0
    """:func:`ingest_batched` only: how long the event loop was free while the batch committed."""


def ingest(rt: Runtime, ports: EdgePorts, tenant: TenantRuntime, body: bytes) -> IngestResult:
    """The whole ingest, blocking (a worker thread, or SQLite's embedded mode)."""
    message = _parse(tenant, body)
    if isinstance(message, IngestResult):
        return message
    # Every line from here on (and every task enqueued) carries this message's correlation id.
    with _message_context(tenant, message):
        early = _admit(rt, ports, tenant, message)
        if early is not None:
            return early
        try:
            outcome = tenant.store.messages.record_inbound(_draft(rt, message))
        except StorageError as exc:
            raise _not_stored(tenant, message, exc) from exc
        return _stored(ports, tenant, message, outcome, lambda job: _enqueue_now(rt, message, job))


async def ingest_batched(
    rt: Runtime,
    ports: EdgePorts,
    tenant: TenantRuntime,
    body: bytes,
    writer: InboundWriter,
    turns: DeferredTurns,
) -> IngestResult:
    """The ingest on the event loop: the store joins ``writer``'s group commit, the turn ``turns``.

    Parsing and the Redis admission block the loop briefly, as in :func:`ingest`; the store does
    not (the loop serves other webhooks while the batch commits), and the turn is enqueued with
    the others of the same loop pass after the responses (:mod:`api.deferred_turns`).
    """
    message = _parse(tenant, body)
    if isinstance(message, IngestResult):
        return message
    with _message_context(tenant, message):
        early = _admit(rt, ports, tenant, message)
        if early is not None:
            return early
        write = tenant.store.messages.prepare_inbound(_draft(rt, message))
        started = time.perf_counter()
        try:
            outcome = await writer.record(write)
        except StorageError as exc:
            raise _not_stored(tenant, message, exc) from exc
        waited = time.perf_counter() - started
        result = _stored(ports, tenant, message, outcome, turns.add)
        return dataclasses.replace(result, store_wait_seconds=waited)


def _parse(tenant: TenantRuntime, body: bytes) -> InboundMessage | IngestResult:
    try:
        return parse_inbound(body, tenant.id)
    except InboundIgnored as exc:
        log.info("tenant=%s webhook ignored: %s", tenant.id, exc)
        return IngestResult("ignored", detail=str(exc))
    except ChannelPayloadError as exc:
        log.warning("tenant=%s webhook rejected: %s", tenant.id, exc)
        raise BadPayload(str(exc), field=exc.field) from None


def _message_context(tenant: TenantRuntime, message: InboundMessage) -> AbstractContextManager[None]:
    return log_context(
        tenant=tenant.id, correlation_id=correlation_id_for(tenant.id, message.provider_message_id)
    )


def _admit(
    rt: Runtime, ports: EdgePorts, tenant: TenantRuntime, message: InboundMessage
) -> IngestResult | None:
    """The answer for a known duplicate or a rate-limited message; None: go on and store it."""
    admission = ports.admission(tenant.id)
    kind = "media" if message.media is not None else "text"
    admitted = admission.admit(message.provider_message_id, _buckets(rt, message, kind))
    if admitted.seen == "stored":
        return IngestResult("duplicate", message.provider_message_id)
    # A re-delivery ("in_flight": seen before, maybe stored) never spends the customer's tokens.
    if admitted.allowed:
        return None
    try:
        return _store_rate_limited(rt, tenant, message, kind)
    except StoreFailed:
        admission.abort(message.provider_message_id)
        raise


def _not_stored(tenant: TenantRuntime, message: InboundMessage, exc: StorageError) -> StoreFailed:
    # No abort: the mark stays "in_flight", so the provider's re-deliveries (every few seconds
    # while the database is down) reach the database without spending the customer's tokens.
    log.error(
        "tenant=%s message %s from %s NOT stored: %s",
        tenant.id,
        message.provider_message_id,
        message.masked_sender,
        exc,
    )
    return StoreFailed(f"could not store message {message.provider_message_id!r}; retry later")


def _stored(
    ports: EdgePorts,
    tenant: TenantRuntime,
    message: InboundMessage,
    outcome: InboundOutcome,
    enqueue: Callable[[TurnJob], None],
) -> IngestResult:
    """After the store: confirm a duplicate, or enqueue the conversation's turn."""
    if outcome.duplicate:
        ports.admission(tenant.id).duplicate_confirmed(message.provider_message_id)
        return IngestResult("duplicate", message.provider_message_id)
    assert outcome.conversation_id is not None
    enqueue(TurnJob(tenant.id, outcome.conversation_id, tenant.coalesce_seconds, current_correlation_id()))
    log.info(
        "tenant=%s webhook accepted: stored %s %s from %s",
        tenant.id,
        message.message_type,
        message.provider_message_id,
        message.masked_sender,
        extra={"event": "webhook.accepted"},
    )
    return IngestResult("stored", message.provider_message_id)


def _enqueue_now(rt: Runtime, message: InboundMessage, job: TurnJob) -> None:
    try:
        rt.queue.process_conversation(job.tenant_id, job.conversation_id, delay=job.delay_seconds)
    except Exception as exc:  # the broker is down: the sweeper will pick the stored message up
        log.error(
            "tenant=%s message %s stored but not enqueued (%s); the sweeper will retry",
            job.tenant_id,
            message.provider_message_id,
            exc,
        )


def _draft(rt: Runtime, message: InboundMessage) -> InboundDraft:
    return InboundDraft(
        provider_message_id=message.provider_message_id,
        jid=message.sender_jid,
        text=message.text or None,
        push_name=message.sender_name or None,
        media=_media(rt, message),
        received_at=rt.now(),
    )


def _media(rt: Runtime, message: InboundMessage) -> dict[str, Any] | None:
    media = message.media
    if media is None:
        return None
    stored: dict[str, Any] = {
        "type": media.type,
        "mimetype": media.mimetype,
        "url": media.url,
        "file_name": media.file_name,
        "caption": media.caption,
        "size": media.size,
        "seconds": media.seconds,
        "is_voice": media.is_voice,
    }
    if media.type == "video":
        stored["refused"] = REFUSED_VIDEO
    elif media.size is not None and media.size > rt.settings.media_max_bytes:
        stored["refused"] = REFUSED_TOO_LARGE
    return stored


def _buckets(rt: Runtime, message: InboundMessage, kind: str) -> list[Bucket]:
    """The customer's and the tenant's bucket for this kind of message (both must have a token)."""
    settings = rt.settings
    customer_limit = settings.rate_customer_media if kind == "media" else settings.rate_customer_text
    tenant_limit = settings.rate_tenant_media if kind == "media" else settings.rate_tenant_text
    return [(f"{kind}:{message.sender_jid}", customer_limit), (kind, tenant_limit)]


def _store_rate_limited(
    rt: Runtime, tenant: TenantRuntime, message: InboundMessage, kind: str
) -> IngestResult:
    """Over the limit: keep the message (nothing is lost) as a decided ``drop`` turn, no bot reply."""
    store = tenant.store
    try:
        outcome = store.messages.record_inbound(_draft(rt, message))
        if not outcome.duplicate and outcome.conversation_id is not None and outcome.message_id is not None:
            decision = {
                "action": "drop",
                "reply": "",
                "intent": "",
                "reason": f"rate_limited_{kind}",
                "facts_used": [],
                "booking_slots": {},
                "effects": [],
                "pack_version": tenant.pack.version,
            }
            for _ in range(RATE_LIMITED_RETRIES):
                conversation = store.conversations.get(outcome.conversation_id)
                try:
                    store.turns.complete(
                        outcome.conversation_id,
                        [outcome.message_id],
                        decision=decision,
                        trace=[],
                        expected_state_version=conversation.state_version,
                        owner_version=conversation.owner_version,
                    )
                    break
                except StaleWrite:
                    continue
            store.metrics.bump(rt.now().date(), {f"rate_limited_{kind}": 1})
    except StorageError as exc:
        raise StoreFailed(f"could not store rate-limited message {message.provider_message_id!r}") from exc
    rt.telemetry.webhooks.labels(tenant.id, "rate_limited").inc()
    log.warning(
        "tenant=%s %s from %s over the rate limit: stored, no reply", tenant.id, kind, message.masked_sender
    )
    if rt.locks_for(tenant.id).acquire(f"alert:rate:{message.sender_jid}", RATE_ALERT_ONCE_SECONDS):
        rt.alerts.raise_alert(
            Alert(tenant.id, "rate_limited", f"{message.masked_sender} is over the {kind} limit")
        )
    return IngestResult("rate_limited", message.provider_message_id)
