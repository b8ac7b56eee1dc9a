"""The OpenAPI schema documents every error as the problem details the app actually sends."""

from __future__ import annotations

from typing import Any

import pytest

from api.problems import PROBLEM_MEDIA_TYPE, problem_responses
from tests.e2e.harness import Service

pytestmark = pytest.mark.anyio

ERRORS: dict[tuple[str, str], set[str]] = {
    ("/webhooks/chatflow/{tenant_id}", "post"): {"400", "401", "403", "404", "413", "503"},
    ("/webhook/{tenant_id}", "post"): {"400", "401", "403", "404", "413", "503"},
    ("/webhooks/telegram/{tenant_id}", "post"): {"400", "401", "403", "404", "413"},
    ("/admin/health", "get"): {"401", "403"},
    ("/admin/metrics", "get"): {"400", "401", "403"},
    ("/admin/packs/reload", "post"): {"400", "401", "403"},
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    found: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return _resolve(schema, found)


async def test_every_error_status_is_documented_as_problem_details(service: Service) -> None:
    schema = (await service.client.get("/schema/openapi.json")).json()
    for (path, method), statuses in ERRORS.items():
        responses = schema["paths"][path][method]["responses"]
        errors = {code for code in responses if code >= "400"}
        assert errors == statuses, (path, errors)
        for code in statuses:
            content = responses[code]["content"]
            assert list(content) == [PROBLEM_MEDIA_TYPE], (path, code, list(content))
            body = _resolve(schema, content[PROBLEM_MEDIA_TYPE]["schema"])
            assert {"status", "title", "detail"} <= set(body["required"]), (path, code, body)
            assert "status_code" not in body["properties"], "Litestar's default shape is not what we send"


async def test_what_the_schema_promises_is_what_a_refused_webhook_gets(service: Service) -> None:
    schema = (await service.client.get("/schema/openapi.json")).json()
    refused = await service.post({"anything": 1}, secret="wrong")  # pragma: allowlist secret
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    documented = _resolve(
        schema,
        schema["paths"]["/webhooks/chatflow/{tenant_id}"]["post"]["responses"]["401"]["content"][
            PROBLEM_MEDIA_TYPE
        ]["schema"],
    )
    body = refused.json()
    assert set(documented["required"]) <= set(body)
    assert isinstance(body["status"], int) and isinstance(body["title"], str)


def test_an_undescribed_status_names_the_fix() -> None:
    with pytest.raises(ValueError, match=r"no description for \[418\]; add it to _WHEN"):
        problem_responses(400, 418)
