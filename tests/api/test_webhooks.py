"""The webhook edge: secrets, lenient parsing, 4xx problem details, nothing half-written, 5xx to retry."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from channels.chatflow.player import build_inbound_payload, new_message_id
from config.settings import RateLimit
from storage import StorageUnavailable
from storage.inbound_writer import InboundWriter
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, SECRET, Service, running_service, service_settings

pytestmark = pytest.mark.anyio

JID = f"{PHONE}@s.whatsapp.net"


def _stored_count(service: Service) -> int:
    conversation = service.store().conversations.find_by_jid(JID)
    if conversation is None:
        return 0
    return len(service.store().messages.list_for_conversation(conversation.id))


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def _store_down(monkeypatch: pytest.MonkeyPatch, service: Service) -> Callable[[], None]:
    """Every way of storing an inbound message fails (as with the database down) until the returned call."""
    down = [True]
    messages = service.store().messages
    record_inbound = messages.record_inbound
    group_commit = InboundWriter.record

    def blocking(draft):
        if down[0]:
            raise StorageUnavailable("record inbound message", ConnectionError("database restarting"))
        return record_inbound(draft)

    async def batched(writer: InboundWriter, write):
        if down[0]:
            raise StorageUnavailable("record inbound message", ConnectionError("database restarting"))
        return await group_commit(writer, write)

    monkeypatch.setattr(messages, "record_inbound", blocking)
    monkeypatch.setattr(InboundWriter, "record", batched)
    return lambda: down.__setitem__(0, False)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{not json", "$"),
        (
            b'{"body": {"message": "hi", "metadata": {"remoteJid": "77011234567@s.whatsapp.net"}}}',
            "messageId",
        ),
        (b'{"body": {"message": "hi", "metadata": {"messageId": "3EB0AA"}}}', "remoteJid"),
        (b"[1, 2]", "$"),
    ],
)
async def test_malformed_payloads_get_400_problem_details_and_store_nothing(
    service: Service, content: bytes, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="truffles"):
        body = _problem(await service.post(None, content=content), 400)
    assert field in body["field"]
    assert any("webhook rejected" in r.getMessage() for r in caplog.records)
    assert _stored_count(service) == 0


async def test_unknown_tenant_is_404_and_wrong_or_missing_secret_is_401(service: Service) -> None:
    payload = build_inbound_payload("nobody", "hi", phone=PHONE)
    assert "nobody" in _problem(await service.post(payload, tenant="nobody"), 404)["detail"]
    payload = build_inbound_payload("demo_salon", "hi", phone=PHONE)
    _problem(await service.post(payload, secret="wrong"), 401)
    _problem(await service.post(payload, secret=None), 401)
    assert _stored_count(service) == 0


async def test_the_legacy_url_takes_the_secret_in_the_query_and_warns_once_per_tenant(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="truffles.api.webhooks"):
        for text in ("Здравствуйте", "Где вы находитесь?"):
            payload = build_inbound_payload("demo_salon", text, phone=PHONE)
            response = await service.client.post(f"/webhook/demo_salon?webhook_secret={SECRET}", json=payload)
            assert response.status_code == 200 and response.json()["status"] == "stored"
        bad = await service.client.post("/webhook/demo_salon?webhook_secret=nope", json=payload)
    _problem(bad, 401)
    assert sum("deprecated webhook URL" in r.getMessage() for r in caplog.records) == 1
    assert _stored_count(service) == 2


async def test_a_tenant_without_a_secret_is_refused_unless_marked_insecure_demo(
    embedded_backend: Backend,
) -> None:
    async with running_service(embedded_backend.db, workers=False) as service:
        tenant = service.rt.tenants.get("demo_salon")
        service.rt.tenants.add(tenant.pack, chatflow_token="t", insecure_demo=False)  # no secret in env
        payload = build_inbound_payload("demo_salon", "hi", phone=PHONE)
        assert "insecure_demo" in _problem(await service.post(payload, secret=None), 403)["detail"]
        service.rt.tenants.add(tenant.pack, chatflow_token="t", insecure_demo=True)
        assert (await service.post(payload, secret=None)).status_code == 200


async def test_bodies_over_the_size_limit_get_413(embedded_backend: Backend) -> None:
    settings = service_settings(max_body_bytes=2048)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        payload = build_inbound_payload("demo_salon", "я" * 3000, phone=PHONE)
        _problem(await service.post(payload), 413)
        assert _stored_count(service) == 0


async def test_group_chats_and_own_echoes_are_acknowledged_and_dropped(service: Service) -> None:
    payload = build_inbound_payload("demo_salon", "hi", phone="120363041234567890@g.us")
    response = await service.post(payload)
    assert response.status_code == 200 and response.json()["status"] == "ignored"


async def test_a_store_failure_answers_503_and_the_providers_retry_is_stored(
    embedded_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_service(embedded_backend.db, workers=False) as service:
        store_is_back = _store_down(monkeypatch, service)
        payload = build_inbound_payload(
            "demo_salon", "Сколько стоит маникюр?", phone=PHONE, message_id=new_message_id()
        )
        _problem(await service.post(payload), 503)
        store_is_back()
        retry = await service.post(payload)
        assert retry.status_code == 200 and retry.json()["status"] == "stored"
        assert _stored_count(service) == 1


@pytest.mark.integration
async def test_on_postgresql_the_store_joins_the_group_commit_until_it_fails(
    production_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the loop through the group commit while healthy; after a failure, threads (api.inline_gate)."""
    async with running_service(
        production_backend.db, redis_client=production_backend.redis, workers=False
    ) as service:
        messages = service.store().messages
        real = messages.record_inbound
        threads: list[int] = []

        def recording(draft):
            threads.append(threading.get_ident())
            return real(draft)

        monkeypatch.setattr(messages, "record_inbound", recording)
        group_commit = InboundWriter.record
        failing = [False]
        batched: list[str] = []

        async def record(writer: InboundWriter, write):
            if failing[0]:
                raise StorageUnavailable("record inbound message", ConnectionError("database restarting"))
            batched.append(write.provider_message_id)
            return await group_commit(writer, write)

        monkeypatch.setattr(InboundWriter, "record", record)
        loop_thread = threading.get_ident()
        assert (await service.say("Сколько стоит маникюр?")).json()["status"] == "stored"
        assert len(batched) == 1 and threads == []
        failing[0] = True
        _problem(await service.say("А где вы находитесь?"), 503)
        failing[0] = False
        assert (await service.say("А до скольки?")).json()["status"] == "stored"
        assert len(threads) == 1 and threads[0] != loop_thread  # the one after the failure
        assert _stored_count(service) == 2


async def test_provider_retries_during_a_store_outage_do_not_spend_the_customers_tokens(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the PostgreSQL restart drill: retries ate the burst, the real message got no reply."""
    settings = service_settings(rate_customer_text=RateLimit(burst=2, per_second=0.001))
    async with running_service(
        backend.db, settings=settings, redis_client=backend.redis, workers=False
    ) as service:
        store_is_back = _store_down(monkeypatch, service)
        payload = build_inbound_payload(
            "demo_salon", "Сколько стоит маникюр?", phone=PHONE, message_id=new_message_id()
        )
        for _ in range(5):  # the provider delivers it again and again while the database is down
            _problem(await service.post(payload), 503)
        store_is_back()
        assert (await service.post(payload)).json()["status"] == "stored"
        assert (await service.say("А где вы находитесь?")).json()["status"] == "stored"  # the 2nd token
        assert (await service.say("А до скольки?")).json()[
            "status"
        ] == "rate_limited"  # the limit still holds


async def test_with_redis_down_the_database_constraint_alone_dedups(embedded_backend: Backend) -> None:
    from workers.service import redis_client

    dead = redis_client("redis://127.0.0.1:1/0", timeout=0.2)
    async with running_service(embedded_backend.db, workers=False) as service:
        service.rt.redis = dead  # the edge builds its dedup cache and rate limiter on this client
        payload = build_inbound_payload("demo_salon", "Привет", phone=PHONE, message_id=new_message_id())
        first, second = await service.post(payload), await service.post(payload)
        assert [first.json()["status"], second.json()["status"]] == ["stored", "duplicate"]
        assert _stored_count(service) == 1


async def test_openapi_schema_is_served(service: Service) -> None:
    response = await service.client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/webhooks/chatflow/{tenant_id}" in paths and "/webhook/{tenant_id}" in paths
