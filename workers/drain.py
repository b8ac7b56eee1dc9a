"""``drain_outbox``: send a tenant's due text rows in batches, woken by ``TaskQueue.wake_outbox``.

One broker message per row cost more than the send: a Redis fetch and ack, a claim statement and a
thread hand-off for every message. A drain claims up to ``DRAIN_BATCH`` due text rows in one
statement (``FOR UPDATE SKIP LOCKED``, so drains running in parallel never share a row) and
delivers them one after another on its thread's keep-alive connection, each exactly as
``send_outbox`` would (same retries, alerts, transcript). It stops when no due row is left, or
after ``DRAIN_ROUNDS`` batches, re-waking itself so a tenant with a backlog takes its turn behind
the others' messages instead of holding a thread. Its first batch coming back full means a
backlog: it wakes one more drain, so a backlog spreads over the worker threads.

Media rows and delayed retries keep their per-row messages (``workers.send``).
"""

from __future__ import annotations

import logging

from storage.log_context import CORRELATION_KEY, log_context
from workers.runtime import Runtime
from workers.send import deliver_claimed

__all__ = ["DRAIN_BATCH", "DRAIN_ROUNDS", "drain_outbox"]

log = logging.getLogger("truffles.drain")

DRAIN_BATCH = 20
DRAIN_ROUNDS = 10


def drain_outbox(rt: Runtime, tenant_id: str) -> int:
    """Deliver the tenant's due text rows; returns how many rows this drain handled."""
    tenant = rt.tenants.get(tenant_id)
    rt.queue.drain_started(tenant_id)  # rows written from here on queue a new wake-up
    handled = 0
    for round_number in range(DRAIN_ROUNDS):
        rows = tenant.store.outbox.claim_due(DRAIN_BATCH, text_only=True)
        if round_number == 0 and len(rows) == DRAIN_BATCH:
            rt.queue.wake_outbox(tenant_id, force=True)  # a backlog: one more thread on it
        for row in rows:
            found = row.payload.get(CORRELATION_KEY)  # each row's lines stay linked to its turn
            with log_context(correlation_id=str(found) if found else None):
                deliver_claimed(rt, tenant, row)
        handled += len(rows)
        if len(rows) < DRAIN_BATCH:
            return handled
    rt.queue.wake_outbox(tenant_id, force=True)  # more may be due: back of the queue, then on
    log.debug("tenant=%s outbox drain yielded after %d rows", tenant_id, handled)
    return handled
