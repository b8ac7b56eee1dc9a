"""``drain_outbox``: send a tenant's due text rows, woken by ``TaskQueue.wake_outbox``.

One broker message per row cost more than the send itself: a Redis enqueue, fetch and ack, message
decoding and two thread hand-offs for every row. A drain instead claims due text rows one at a
time (``FOR UPDATE SKIP LOCKED``: drains in parallel never share a row) and delivers each exactly
as ``send_outbox`` would (same retries, alerts, transcript).

Rows are claimed one at a time, not in batches, so that a slow ChatFlow call holds up only its own
row: a row is never claimed by a drain that is busy sending. With its first row a drain wakes a
successor if more rows are due (at most one wake-up is queued per tenant), which takes the rows
behind if this drain's send is slow, and wakes the next with its own first row: a backlog spreads
over the worker threads by itself. A row written while every drain is busy wakes a new one (the
mark was cleared when they started), so an isolated reply costs one broker message, not two.
After ``DRAIN_ROWS`` rows a drain re-queues itself, so a tenant with a backlog takes turns with the
other tenants' messages instead of holding a thread.

Media rows and delayed retries keep their per-row messages (``workers.send``).
"""

from __future__ import annotations

import logging

from storage.log_context import CORRELATION_KEY, log_context
from workers.runtime import Runtime
from workers.send import deliver_claimed

__all__ = ["DRAIN_ROWS", "drain_outbox"]

log = logging.getLogger("truffles.drain")

DRAIN_ROWS = 50


def drain_outbox(rt: Runtime, tenant_id: str) -> int:
    """Deliver the tenant's due text rows; returns how many rows this drain handled."""
    tenant = rt.tenants.get(tenant_id)
    rt.queue.drain_started(tenant_id)  # rows written from here on queue a new wake-up
    for handled in range(DRAIN_ROWS):
        claimed = tenant.store.outbox.claim_due(1, text_only=True)
        if not claimed:
            return handled
        row = claimed[0]
        if handled == 0 and tenant.store.outbox.has_due(text_only=True):
            rt.queue.wake_outbox(tenant_id)  # a successor: rows behind ours never wait on our sends
        found = row.payload.get(CORRELATION_KEY)  # each row's lines stay linked to its turn
        with log_context(correlation_id=str(found) if found else None):
            deliver_claimed(rt, tenant, row)
    rt.queue.wake_outbox(tenant_id, force=True)  # more may be due: back of the queue, then on
    log.debug("tenant=%s outbox drain yields after %d rows", tenant_id, DRAIN_ROWS)
    return DRAIN_ROWS
