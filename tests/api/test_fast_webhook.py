"""The framework-free hot path: it serves the good ChatFlow webhooks, Litestar everything else, alike."""

from __future__ import annotations

from typing import Any

import pytest

from api.fast_webhook import ChatflowFastPath
from channels.chatflow.player import build_inbound_payload, new_message_id
from tests.e2e.fixtures import Backend
from tests.e2e.harness import PHONE, SECRET, Service, running_service, service_settings

pytestmark = pytest.mark.anyio


def _fast_path(service: Service) -> ChatflowFastPath:
    assert service.app is not None
    handler = service.app.asgi_handler
    assert isinstance(handler, ChatflowFastPath), "create_app must put the hot path in front of Litestar"
    return handler


def _payload(text: str = "Сколько стоит маникюр?", message_id: str | None = None) -> dict[str, Any]:
    return build_inbound_payload("demo_salon", text, phone=PHONE, message_id=message_id or new_message_id())


async def test_a_good_webhook_is_answered_by_the_hot_path_as_litestar_answers_it(service: Service) -> None:
    fast = _fast_path(service)
    message_id = new_message_id()
    response = await service.post(_payload(message_id=message_id))
    assert fast.served == 1
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "stored", "message_id": message_id}
    # The same message again through the legacy URL (Litestar's handler): the same answer shape.
    legacy = await service.client.post(
        f"/webhook/demo_salon?webhook_secret={SECRET}", json=_payload(message_id=message_id)
    )
    assert legacy.json() == {"status": "duplicate", "message_id": message_id}
    assert fast.served == 1
    assert service.rt.telemetry.webhooks.labels("demo_salon", "stored")._value.get() == 1


async def test_a_bad_payload_gets_the_same_problem_details_from_both_paths(service: Service) -> None:
    fast = _fast_path(service)
    hot = await service.post(None, content=b"{not json")
    assert fast.served == 1
    framework = await service.client.post(
        f"/webhook/demo_salon?webhook_secret={SECRET}", content=b"{not json"
    )
    assert hot.status_code == framework.status_code == 400
    assert hot.headers["content-type"] == framework.headers["content-type"] == "application/problem+json"
    assert hot.json() == framework.json()
    assert hot.json()["field"] == "$"


@pytest.mark.parametrize(
    ("tenant", "secret", "status"),
    [("nobody", SECRET, 404), ("demo_salon", "wrong", 401), ("demo_salon", None, 401)],
)
async def test_refusals_are_left_to_litestar(
    service: Service, tenant: str, secret: str | None, status: int
) -> None:
    fast = _fast_path(service)
    response = await service.post(_payload(), tenant=tenant, secret=secret)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fast.served == 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/webhooks/chatflow/demo_salon", 405), ("POST", "/webhooks/chatflow/demo_salon/x", 404)],
)
async def test_other_methods_and_paths_are_left_to_litestar(
    service: Service, method: str, path: str, status: int
) -> None:
    fast = _fast_path(service)
    response = await service.client.request(method, path, headers={"X-Webhook-Secret": SECRET})
    assert response.status_code == status
    assert fast.served == 0


async def test_an_oversized_body_is_replayed_to_litestar_which_answers_413(embedded_backend: Backend) -> None:
    settings = service_settings(max_body_bytes=2048)
    async with running_service(embedded_backend.db, settings=settings, workers=False) as service:
        fast = _fast_path(service)
        response = await service.post(_payload("я" * 3000))
        assert response.status_code == 413 and fast.served == 0
        assert (await service.post(_payload("short"))).status_code == 200 and fast.served == 1


async def test_a_body_in_chunks_is_read_whole_and_a_chunk_over_the_limit_is_replayed(
    embedded_backend: Backend,
) -> None:
    async with running_service(embedded_backend.db, workers=False) as service:
        fast = _fast_path(service)
        passed: list[bytes] = []

        async def framework(scope: Any, receive: Any, send: Any) -> None:
            while True:
                message = await receive()
                passed.append(message.get("body", b""))
                if not message.get("more_body"):
                    return

        fast._app = framework
        fast._max_body = 10
        chunks = [b"0123456", b"789abcdef", b""]

        async def receive() -> dict[str, Any]:
            body = chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(chunks)}

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/webhooks/chatflow/demo_salon",
            "headers": [(b"x-webhook-secret", SECRET.encode())],
        }
        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        await fast(scope, receive, send)
        assert b"".join(passed) == b"0123456789abcdef" and sent == [] and fast.served == 0
