"""Prometheus metrics of one service process, in a registry of its own (tests build many services)."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app

__all__ = ["Telemetry", "serve_metrics"]

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


def serve_metrics(telemetry: Telemetry, host: str, port: int, token: str) -> WSGIServer:
    """Expose this process's metrics on ``http://host:port/metrics`` behind ``X-Admin-Token``.

    For worker processes, which have no web app of their own. Runs on a daemon thread; call
    ``shutdown()`` on the returned server to stop it.
    """
    metrics_app = make_wsgi_app(telemetry.registry)
    expected = token.encode("utf-8")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        given = str(environ.get("HTTP_X_ADMIN_TOKEN", "")).encode("utf-8")
        if not hmac.compare_digest(given, expected):
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"missing or wrong X-Admin-Token header\n"]
        result: Iterable[bytes] = metrics_app(environ, start_response)
        return result

    server = make_server(host, port, app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="truffles-metrics", daemon=True).start()
    return server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return
