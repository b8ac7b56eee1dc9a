"""The sweeper: re-enqueue work whose queue message was lost (a crash, a broker outage).

- inbound messages stored but still unprocessed well after their coalescing window;
- outbox rows stuck in ``sending`` (the worker died mid-send): moved back to ``pending`` and re-sent
  (at-least-once; the idempotency key travels with them);
- ``pending`` outbox rows long overdue (their delayed send message was lost).

Running it in several processes at once is harmless (every step is idempotent); with Redis a
short lock keeps it to one process per interval.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from storage import OutboxRecord, StorageError
from storage.log_context import CORRELATION_KEY, correlation_id_for, log_context
from workers.heartbeat import worker_id
from workers.locks import hold
from workers.reminders import run_handover_clock
from workers.runtime import Runtime
from workers.send_media import is_media_row
from workers.telegram_alerts import watch_tenant
from workers.tenants import TenantRuntime

__all__ = ["SweepReport", "Sweeper", "sweep_once"]

log = logging.getLogger("truffles.sweeper")

SWEEP_LOCK_NAMESPACE = "_service"
DEDUP_KEEP = timedelta(days=7)
"""Durable dedup keys older than this are pruned (providers stop re-delivering within hours)."""
PRUNE_EVERY_SECONDS = 3600.0


@dataclass
class SweepReport:
    inbound: int = 0
    stuck_sending: int = 0
    overdue: int = 0
    pruned: int = 0
    errors: list[str] = field(default_factory=list)


def sweep_once(rt: Runtime, *, prune: bool = False) -> SweepReport:
    """One pass over every tenant; ``prune`` also forgets durable dedup keys older than a week."""
    report = SweepReport()
    for tenant in rt.tenants.all():
        try:
            _sweep_tenant(rt, tenant, report)
            run_handover_clock(rt, tenant)  # hand-over reminders and expiry (Telegram desk)
            watch_tenant(rt, tenant)  # ops alerts: outbox backlog, customers waiting
            if prune:
                report.pruned += tenant.store.messages.prune_dedup(DEDUP_KEEP)
        except StorageError as exc:
            report.errors.append(f"{tenant.id}: {exc}")
            log.error("sweep of tenant %s failed: %s", tenant.id, exc)
    if report.inbound or report.stuck_sending or report.overdue:
        log.warning(
            "sweeper re-enqueued %d inbound turn(s), %d stuck send(s), %d overdue send(s)",
            report.inbound,
            report.stuck_sending,
            report.overdue,
        )
    return report


def _sweep_tenant(rt: Runtime, tenant: TenantRuntime, report: SweepReport) -> None:
    settings = rt.settings
    store = tenant.store
    inbound_age = timedelta(seconds=tenant.coalesce_seconds + settings.stuck_inbound_grace_seconds)
    stuck = {m.conversation_id: m for m in store.messages.find_stuck_inbound(inbound_age)}
    conversations = set(stuck)
    for conversation_id, message in stuck.items():
        found = message.provider_message_id
        with log_context(correlation_id=correlation_id_for(tenant.id, found) if found else None):
            rt.queue.process_conversation(tenant.id, conversation_id)
        rt.telemetry.swept.labels(tenant.id, "inbound").inc()
    report.inbound += len(conversations)
    released = store.outbox.release_stuck_sending(timedelta(seconds=settings.stuck_sending_seconds))
    overdue = store.outbox.find_overdue_pending(timedelta(seconds=settings.stuck_sending_seconds))
    for row in released:
        _resend(rt, tenant, row)
        rt.telemetry.swept.labels(tenant.id, "stuck_sending").inc()
    released_ids = {row.id for row in released}
    for row in overdue:
        if row.id not in released_ids:
            _resend(rt, tenant, row)
            rt.telemetry.swept.labels(tenant.id, "overdue").inc()
            report.overdue += 1
    report.stuck_sending += len(released)
    if any(not is_media_row(row.payload) for row in [*released, *overdue]):
        # Text rows are sent by the tenant's drain. Its wake-up may be what was lost (a worker
        # killed with it, a flushed broker) while its mark still says "queued": wake it anyway.
        rt.queue.wake_outbox(tenant.id, force=True)


def _resend(rt: Runtime, tenant: TenantRuntime, row: OutboxRecord) -> None:
    """Re-enqueue a media row's send under the correlation id its row kept (log lines stay linked)."""
    if not is_media_row(row.payload):
        return  # woken once per tenant, above
    found = row.payload.get(CORRELATION_KEY)
    with log_context(correlation_id=str(found) if found else None):
        rt.queue.send_outbox(tenant.id, row.id, media=True)


class Sweeper:
    """Runs :func:`sweep_once` every ``interval`` seconds on a daemon thread."""

    def __init__(self, rt: Runtime, interval: float) -> None:
        self._rt = rt
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="truffles-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        locks = self._rt.locks_for(SWEEP_LOCK_NAMESPACE)
        next_prune = time.monotonic()
        me = worker_id()
        while not self._stop.wait(self._interval):
            try:
                if self._rt.heartbeats is not None:
                    self._rt.heartbeats.beat(me, time.time())
                with hold(locks, "sweep", self._interval) as got:
                    if got:
                        prune = time.monotonic() >= next_prune
                        sweep_once(self._rt, prune=prune)
                        if prune:
                            next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            except Exception:  # never let the sweeper thread die
                log.exception("sweeper pass failed")
