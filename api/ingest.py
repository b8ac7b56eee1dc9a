"""Ingest one ChatFlow webhook: parse, dedup, rate-limit, store, enqueue. Blocking; no HTTP here.

The handler calls :func:`ingest` in a thread and maps its errors to problem details. Nothing is
half-written: the message is stored in one transaction or not at all; a store failure raises
:class:`~api.errors.StoreFailed` (5xx) so the provider re-delivers; an enqueue failure after the
store is only logged, because the sweeper re-enqueues stored-but-unprocessed messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from api.edge import EdgePorts
from api.errors import BadPayload, StoreFailed
from api.ratelimit import Bucket
from channels.chatflow.inbound import InboundMessage, parse_inbound
from channels.errors import ChannelPayloadError, InboundIgnored
from storage import InboundDraft, StaleWrite, StorageError
from storage.log_context import correlation_id_for, log_context
from workers.alerts import Alert
from workers.runtime import Runtime
from workers.tenants import TenantRuntime
from workers.turn_input import REFUSED_TOO_LARGE, REFUSED_VIDEO

__all__ = ["IngestResult", "ingest"]

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


def ingest(rt: Runtime, ports: EdgePorts, tenant: TenantRuntime, body: bytes) -> IngestResult:
    try:
        message = parse_inbound(body, tenant.id)
    except InboundIgnored as exc:
        log.info("tenant=%s webhook ignored: %s", tenant.id, exc)
        return IngestResult("ignored", detail=str(exc))
    except ChannelPayloadError as exc:
        log.warning("tenant=%s webhook rejected: %s", tenant.id, exc)
        raise BadPayload(str(exc), field=exc.field) from None
    # Every line from here on (and every task enqueued) carries this message's correlation id.
    with log_context(
        tenant=tenant.id, correlation_id=correlation_id_for(tenant.id, message.provider_message_id)
    ):
        return _accept(rt, ports, tenant, message)


def _accept(rt: Runtime, ports: EdgePorts, tenant: TenantRuntime, message: InboundMessage) -> IngestResult:
    admission = ports.admission(tenant.id)
    kind = "media" if message.media is not None else "text"
    admitted = admission.admit(message.provider_message_id, _buckets(rt, message, kind))
    if admitted.seen == "stored":
        return IngestResult("duplicate", message.provider_message_id)
    # A re-delivery ("in_flight": seen before, maybe stored) never spends the customer's tokens.
    if not admitted.allowed:
        try:
            result = _store_rate_limited(rt, tenant, message, kind)
        except StoreFailed:
            admission.abort(message.provider_message_id)
            raise
        return result
    try:
        outcome = tenant.store.messages.record_inbound(_draft(rt, message))
    except StorageError as exc:
        # No abort: the mark stays "in_flight", so the provider's re-deliveries (every few seconds
        # while the database is down) reach the database without spending the customer's tokens.
        log.error(
            "tenant=%s message %s from %s NOT stored: %s",
            tenant.id,
            message.provider_message_id,
            message.masked_sender,
            exc,
        )
        raise StoreFailed(f"could not store message {message.provider_message_id!r}; retry later") from exc
    if outcome.duplicate:
        admission.duplicate_confirmed(message.provider_message_id)
        return IngestResult("duplicate", message.provider_message_id)
    assert outcome.conversation_id is not None
    try:
        rt.queue.process_conversation(tenant.id, outcome.conversation_id, delay=tenant.coalesce_seconds)
    except Exception as exc:  # the broker is down: the sweeper will pick the stored message up
        log.error(
            "tenant=%s message %s stored but not enqueued (%s); the sweeper will retry",
            tenant.id,
            message.provider_message_id,
            exc,
        )
    log.info(
        "tenant=%s webhook accepted: stored %s %s from %s",
        tenant.id,
        message.message_type,
        message.provider_message_id,
        message.masked_sender,
        extra={"event": "webhook.accepted"},
    )
    return IngestResult("stored", message.provider_message_id)


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
