"""Ops alerts into a Telegram chat, through the same client and the same outbox.

:class:`TelegramAlerts` wraps another :class:`~workers.alerts.AlertSink` (log + counter) and also
queues each alert for the ops chat. Deduplicated and rate-limited by the outbox idempotency key
``ops-<kind>-<window>``: at most one message per tenant and kind per ``window_seconds``, across every
process. :func:`watch_tenant` raises the alerts nobody else does: outbox backlog / oldest pending
row, customers waiting without a reply.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from storage import Channel, OutboxDraft, OutboxOrigin, StorageError
from workers.alerts import Alert, AlertSink
from workers.runtime import Runtime
from workers.telegram_outbox import ops_payload
from workers.tenants import TenantRuntime

__all__ = [
    "DEFAULT_ALERT_WINDOW_SECONDS",
    "OLDEST_PENDING_ALERT_SECONDS",
    "WAITING_CUSTOMER_ALERT_MINUTES",
    "TelegramAlerts",
    "watch_tenant",
]

log = logging.getLogger("truffles.alerts.telegram")

DEFAULT_ALERT_WINDOW_SECONDS = 600.0
"""One ops message per tenant and alert kind per this many seconds."""
OLDEST_PENDING_ALERT_SECONDS = 300.0
"""An outbox row pending longer than this past its due time raises ``outbox_backlog``."""
WAITING_CUSTOMER_ALERT_MINUTES = 10.0
"""A customer message still unanswered (unprocessed) after this raises ``customer_waiting``."""


class TelegramAlerts:
    """An alert sink that also writes to the ops chat (call :meth:`bind` once the runtime exists)."""

    def __init__(self, inner: AlertSink, *, window_seconds: float = DEFAULT_ALERT_WINDOW_SECONDS) -> None:
        self.inner = inner
        self.window_seconds = window_seconds
        self._rt: Runtime | None = None

    def bind(self, rt: Runtime) -> None:
        self._rt = rt

    def raise_alert(self, alert: Alert) -> None:
        self.inner.raise_alert(alert)
        rt = self._rt
        if rt is None or rt.telegram is None or rt.telegram.ops is None:
            return
        tenant = rt.tenants.find(alert.tenant_id)
        if tenant is None:
            return
        window = int(rt.now().timestamp() // self.window_seconds)
        text = f"🚨 {alert.tenant_id} · {alert.kind}\n{alert.detail}"
        try:
            row = tenant.store.outbox.enqueue(
                OutboxDraft(
                    idempotency_key=f"ops-{alert.kind}-{window}",
                    channel=Channel.TELEGRAM,
                    payload=ops_payload(text),
                    origin=OutboxOrigin.SYSTEM,
                )
            )
        except StorageError as exc:
            log.error("ops alert %r not queued: %s", alert, exc)
            return
        if row.payload.get("text") == text and row.attempts == 0:
            rt.queue.send_outbox(tenant.id, row.id)


def watch_tenant(rt: Runtime, tenant: TenantRuntime) -> list[Alert]:
    """Raise the periodic ops alerts of one tenant; returns them."""
    alerts: list[Alert] = []
    late = tenant.store.outbox.find_overdue_pending(timedelta(seconds=OLDEST_PENDING_ALERT_SECONDS))
    if late:
        oldest = (rt.now() - late[0].next_attempt_at).total_seconds()
        alerts.append(
            Alert(tenant.id, "outbox_backlog", f"{len(late)} outbox row(s) overdue; oldest by {oldest:.0f}s")
        )
    waiting = tenant.store.messages.find_stuck_inbound(timedelta(minutes=WAITING_CUSTOMER_ALERT_MINUTES))
    if waiting:
        conversations = {m.conversation_id for m in waiting}
        alerts.append(
            Alert(
                tenant.id,
                "customer_waiting",
                f"{len(conversations)} customer(s) without any reply for over "
                f"{WAITING_CUSTOMER_ALERT_MINUTES:.0f} min",
            )
        )
    for alert in alerts:
        rt.alerts.raise_alert(alert)
    return alerts
