"""``send_outbox``: claim one outbox row, deliver it through ChatFlow, record the outcome.

Transient failures (429, 5xx, timeouts) go back to ``pending`` with exponential backoff and jitter
(never sooner than the provider's Retry-After) and a delayed re-enqueue; a permanent failure or
exhausted attempts mark the row ``failed`` and raise an alert. A bot row whose ``owner_version``
is stale is cancelled by the claim itself, never sent.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta

from channels.chatflow.jid import mask_jid
from channels.errors import DeliveryError
from storage import Channel, NotFound, OutboxRecord, OutboxStatus
from workers.alerts import Alert
from workers.runtime import Runtime
from workers.send_media import deliver_media, is_media_row, media_of
from workers.sent_record import record_sent
from workers.telegram_outbox import deliver_telegram
from workers.tenants import TenantRuntime

__all__ = ["backoff_seconds", "deliver_claimed", "send_outbox"]

log = logging.getLogger("truffles.send")

JITTER = 0.25
"""Each backoff is multiplied by a random factor in [1 - JITTER, 1 + JITTER]."""


def backoff_seconds(
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before attempt ``attempts + 1``: ``base * 2**(attempts-1)`` jittered, capped, ≥ Retry-After."""
    exponential: float = min(cap, base * 2.0 ** max(0, attempts - 1))
    jittered: float = exponential * (1 + (rng or random).uniform(-JITTER, JITTER))
    return max(jittered, float(retry_after or 0.0))


def send_outbox(rt: Runtime, tenant_id: str, outbox_id: uuid.UUID) -> OutboxStatus | None:
    """Deliver one row; returns its status afterwards (None if it was not ours to send)."""
    tenant = rt.tenants.get(tenant_id)
    row = tenant.store.outbox.claim(outbox_id)
    if row is None:
        _not_claimed(rt, tenant, outbox_id)
        return None
    return deliver_claimed(rt, tenant, row)


def deliver_claimed(rt: Runtime, tenant: TenantRuntime, row: OutboxRecord) -> OutboxStatus:
    """Deliver a row this worker has claimed (status ``sending``) and record the outcome."""
    try:
        result = _deliver(tenant, row, rt)
    except DeliveryError as exc:
        return _failed(rt, tenant, row, exc)
    except ValueError as exc:  # an unusable row (no token, empty text, bad payload): permanent
        return _give_up(rt, tenant, row, f"unsendable row: {exc}")
    # The status and the transcript row (ChatFlow rows of a conversation) commit together.
    transcript = row.conversation_id is not None and row.channel == Channel.CHATFLOW
    text: str | None = str(row.payload.get("text", ""))
    media: dict[str, object] | None = None
    if row.payload.get("kind") == "media":  # the transcript keeps the caption and the file's description
        text, media = str(row.payload.get("caption") or "") or None, media_of(row.payload)
    record_sent(  # the provider has it: a database blip here must not make us send it again
        row.id,
        lambda: tenant.store.outbox.mark_sent(
            row.id, provider_message_id=result, record_transcript=transcript, text=text, media=media
        ),
        reclaim=lambda: tenant.store.outbox.claim(row.id) is not None,
    )
    rt.telemetry.sends.labels(tenant.id, "sent").inc()
    log.info(
        "tenant=%s outbox=%s sent via %s (attempt %d)",
        tenant.id,
        row.id,
        row.channel.value,
        row.attempts,
        extra={"event": "outbox.sent"},
    )
    rt.telemetry.send_seconds.labels(tenant.id).observe((rt.now() - row.created_at).total_seconds())
    return OutboxStatus.SENT


def _deliver(tenant: TenantRuntime, row: OutboxRecord, rt: Runtime) -> str | None:
    if row.channel == Channel.TELEGRAM:
        return deliver_telegram(rt, tenant, row)
    payload = row.payload
    if payload.get("kind", "text") not in ("text", "media"):
        raise ValueError(f"payload kind {payload.get('kind')!r} is not supported (only 'text', 'media')")
    if not tenant.chatflow_token:
        raise ValueError(
            f"tenant {tenant.id!r} has no ChatFlow token: set the env var of channels.chatflow.token_env "
            f"({tenant.pack.source.tenant.channels.chatflow.token_env or 'unset'})"
        )
    instance = str(payload.get("instance_id") or tenant.chatflow_instance_id)
    if payload.get("kind") == "media":
        return deliver_media(rt, tenant, row, tenant.chatflow_token, instance)
    result = rt.sender.send_text(
        tenant.chatflow_token,
        instance,
        str(payload["jid"]),
        str(payload.get("text", "")),
        row.idempotency_key,
    )
    return result.provider_message_id


def _failed(rt: Runtime, tenant: TenantRuntime, row: OutboxRecord, exc: DeliveryError) -> OutboxStatus:
    settings = rt.settings
    if not exc.transient:
        return _give_up(rt, tenant, row, str(exc))
    if row.attempts >= settings.outbox_max_attempts:
        return _give_up(rt, tenant, row, f"gave up after {row.attempts} attempts; last error: {exc}")
    delay = backoff_seconds(
        row.attempts,
        base=settings.outbox_backoff_base_seconds,
        cap=settings.outbox_backoff_max_seconds,
        retry_after=exc.retry_after,
    )
    tenant.store.outbox.mark_retry(row.id, error=str(exc), retry_at=rt.now() + timedelta(seconds=delay))
    rt.queue.send_outbox(tenant.id, row.id, delay=delay, media=is_media_row(row.payload))
    rt.telemetry.sends.labels(tenant.id, "retry").inc()
    log.warning(
        "tenant=%s outbox=%s to %s: attempt %d failed, retry in %.2fs: %s",
        tenant.id,
        row.id,
        mask_jid(str(row.payload.get("jid", ""))),
        row.attempts,
        delay,
        exc,
    )
    return OutboxStatus.PENDING


def _give_up(rt: Runtime, tenant: TenantRuntime, row: OutboxRecord, error: str) -> OutboxStatus:
    tenant.store.outbox.mark_failed(row.id, error=error)
    rt.telemetry.sends.labels(tenant.id, "failed").inc()
    log.error(
        "tenant=%s outbox=%s via %s failed for good: %s",
        tenant.id,
        row.id,
        row.channel.value,
        error,
        extra={"event": "outbox.failed"},
    )
    if row.payload.get("kind") == "ops":  # an undeliverable alert must not raise another alert
        log.error("tenant=%s ops alert %s not delivered: %s", tenant.id, row.id, error)
        return OutboxStatus.FAILED
    jid = mask_jid(str(row.payload.get("jid", "")))
    rt.alerts.raise_alert(
        Alert(tenant.id, "outbox_failed", f"reply {row.id} to {jid} not delivered: {error}")
    )
    return OutboxStatus.FAILED


def _not_claimed(rt: Runtime, tenant: TenantRuntime, outbox_id: uuid.UUID) -> None:
    """Not claimable: already sent/cancelled/claimed, or not due yet (an early delayed message)."""
    try:
        row = tenant.store.outbox.get(outbox_id)
    except NotFound:
        log.warning("tenant=%s: outbox row %s does not exist; message dropped", tenant.id, outbox_id)
        return
    if row.status == OutboxStatus.PENDING:
        wait = (row.next_attempt_at - rt.now()).total_seconds()
        rt.queue.send_outbox(tenant.id, outbox_id, delay=max(wait, 0.01), media=is_media_row(row.payload))
