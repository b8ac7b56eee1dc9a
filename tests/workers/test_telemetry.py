"""Worker processes expose their Prometheus metrics behind the admin token."""

from __future__ import annotations

import httpx

from workers.telemetry import Telemetry, serve_metrics


def test_a_worker_serves_its_prometheus_metrics_behind_the_admin_token() -> None:
    telemetry = Telemetry()
    telemetry.turns.labels("acme", "reply").inc()
    server = serve_metrics(telemetry, "127.0.0.1", 0, "s3cret")
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"X-Admin-Token": "wrong"}).status_code == 401
        ok = httpx.get(url, headers={"X-Admin-Token": "s3cret"})
        assert ok.status_code == 200 and 'truffles_turns_total{action="reply",tenant="acme"} 1.0' in ok.text
    finally:
        server.shutdown()
        server.server_close()
