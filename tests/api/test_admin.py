"""Admin routes: token-guarded (constant time), liveness open, version/health/metrics/Prometheus."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import generate_latest

from api.app import create_app
from tests.e2e.harness import ADMIN_TOKEN, Service, demo_pack, wait_until

pytestmark = pytest.mark.anyio

ADMIN = {"X-Admin-Token": ADMIN_TOKEN}


@pytest.mark.parametrize(
    "path", ["/admin/version", "/admin/health", "/admin/metrics?tenant=demo_salon", "/metrics"]
)
async def test_admin_routes_need_the_admin_token(service: Service, path: str) -> None:
    assert (await service.client.get(path)).status_code == 401
    assert (await service.client.get(path, headers={"X-Admin-Token": "nope"})).status_code == 401
    assert (await service.client.get(path, headers=ADMIN)).status_code == 200


async def test_liveness_is_open(service: Service) -> None:
    response = await service.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_version_names_the_commit_and_every_pack_version(service: Service) -> None:
    body = (await service.client.get("/admin/version", headers=ADMIN)).json()
    assert body["packs"] == {"demo_salon": demo_pack().version}
    assert body["git_commit"] and body["build_time"]


async def test_health_reports_database_queues_and_per_tenant_backlog(service: Service) -> None:
    await service.say("Где вы находитесь?")
    await service.wait_deliveries(1)
    body = (await service.client.get("/admin/health", headers=ADMIN)).json()
    assert body["database"] == "ok"
    assert body["redis"] in ("ok", "not configured")
    assert set(body["queues"]) == {"turns", "outbox", "outbox_media"}
    assert body["tenants"]["demo_salon"]["last_inbound_at"] is not None


async def test_daily_metrics_give_sla_percentiles_and_rates(service: Service) -> None:
    for number, text in enumerate(("Сколько стоит маникюр?", "Хочу поговорить с менеджером"), start=1):
        await service.say(text, phone=f"7701000000{number}")
    await service.wait_deliveries(2)

    async def metrics() -> dict:
        return (await service.client.get("/admin/metrics?tenant=demo_salon", headers=ADMIN)).json()

    body = await metrics()
    for _ in range(200):  # the second row may still be between "delivered" and "marked sent"
        if body["sla_seconds"]["received_to_sent"]["count"] == 2:
            break
        await asyncio.sleep(0.01)
        body = await metrics()
    assert body["turns"] == 2 and body["inbound_messages"] == 2
    sla = body["sla_seconds"]
    assert sla["received_to_decided"]["count"] == 2 and sla["received_to_sent"]["count"] == 2
    assert 0 <= sla["received_to_decided"]["p50"] <= sla["received_to_sent"]["p90"]
    assert body["rates"]["escalation"] == 0.5
    assert body["outbox"]["by_status"] == {"sent": 2}


async def test_metrics_reject_an_unknown_tenant_or_a_bad_date(service: Service) -> None:
    bad = await service.client.get("/admin/metrics?tenant=nobody", headers=ADMIN)
    assert bad.status_code == 400 and "demo_salon" in bad.json()["detail"]
    bad = await service.client.get("/admin/metrics?tenant=demo_salon&date=yesterday", headers=ADMIN)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["detail"]


async def test_prometheus_metrics_count_webhooks_turns_and_sends(service: Service) -> None:
    await service.say("Где вы находитесь?")
    await service.wait_deliveries(1)
    await wait_until(lambda: b"truffles_outbox_sends_total" in _scrape(service))
    text = (await service.client.get("/metrics", headers=ADMIN)).text
    assert 'truffles_webhooks_total{outcome="stored",tenant="demo_salon"} 1.0' in text
    assert "truffles_turns_total" in text and "77011234567" not in text


def _scrape(service: Service) -> bytes:
    return generate_latest(service.rt.telemetry.registry)


async def test_admin_is_disabled_without_a_configured_token(service: Service) -> None:
    app = create_app(service.rt, environ={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/admin/version", headers=ADMIN)
    assert response.status_code == 403 and "TRUFFLES_ADMIN_TOKEN" in response.json()["detail"]
