"""Alerts for humans: a permanent send failure, a customer over the rate limit.

Today an alert is a log line at ERROR/WARNING plus a Prometheus counter. The managers' Telegram
group receives them once issue 6 lands: implement :class:`AlertSink` there and pass it to the
:class:`~workers.runtime.Runtime` (``alerts=``); nothing else changes.
"""

from __future__ import annotations

import logging
from typing import Protocol

from workers.telemetry import Telemetry

__all__ = ["Alert", "AlertSink", "LogAlerts"]

log = logging.getLogger("truffles.alerts")


class Alert:
    """Something a human should look at. ``detail`` never carries a full phone number."""

    __slots__ = ("detail", "kind", "tenant_id")

    def __init__(self, tenant_id: str, kind: str, detail: str) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.detail = detail

    def __repr__(self) -> str:
        return f"Alert({self.tenant_id!r}, {self.kind!r}, {self.detail!r})"


class AlertSink(Protocol):
    def raise_alert(self, alert: Alert) -> None: ...


class LogAlerts:
    """Log and count every alert; remembers them (``raised``) for tests and the admin view."""

    def __init__(self, telemetry: Telemetry, *, keep: int = 100) -> None:
        self._telemetry = telemetry
        self._keep = keep
        self.raised: list[Alert] = []

    def raise_alert(self, alert: Alert) -> None:
        log.error("ALERT tenant=%s kind=%s: %s", alert.tenant_id, alert.kind, alert.detail)
        self._telemetry.alerts.labels(alert.tenant_id, alert.kind).inc()
        self.raised.append(alert)
        del self.raised[: -self._keep]
