"""Prometheus metrics of one service process, in a registry of its own (tests build many services)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["Telemetry"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Telemetry:
    """The counters and histograms the edge and the workers update; labels never carry phone numbers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks = Counter(
            "truffles_webhooks", "Webhook requests by outcome", ["tenant", "outcome"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "truffles_webhook_ack_seconds",
            "Time to answer a webhook",
            ["tenant"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.turns = Counter(
            "truffles_turns", "Decided turns by action", ["tenant", "action"], registry=self.registry
        )
        self.decide_seconds = Histogram(
            "truffles_turn_processing_seconds",
            "Last message received -> decision stored, minus the coalescing window",
            ["tenant"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sends = Counter(
            "truffles_outbox_sends",
            "Outbox send attempts by outcome",
            ["tenant", "outcome"],
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "truffles_outbox_send_seconds",
            "Outbox row created -> sent",
            ["tenant"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.alerts = Counter(
            "truffles_alerts", "Alerts raised by kind", ["tenant", "kind"], registry=self.registry
        )
        self.swept = Counter(
            "truffles_swept", "Rows re-enqueued by the sweeper", ["tenant", "kind"], registry=self.registry
        )
