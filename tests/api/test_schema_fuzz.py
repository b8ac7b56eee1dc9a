"""Schemathesis against the app's OpenAPI schema, in-process through ASGI: no 5xx, no hang.

Every route is called with generated and mutated inputs (path, query, headers, bodies): once with
whatever schemathesis makes up (unknown tenants, wrong secrets, no token), and once with the right
tenant and secret / admin token so the bodies reach the parsers and the store. Each response must
be below 500, arrive within :data:`REQUEST_TIMEOUT`, match the schema where the schema declares it
(``response_schema_conformance``), and every error must be problem details with its own status.
Hypothesis runs derandomized with a bounded number of examples, so the run is the same every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.schema_fuzz_support import REQUEST_TIMEOUT, FuzzedApp, fuzzed_app, problem_failure
from tests.e2e.fixtures import Backend
from tests.e2e.harness import ADMIN_TOKEN, SECRET, migrated_sqlite_template, sqlite_database
from tests.telegram.harness import TG_SECRET

CHECKS = [not_a_server_error, response_schema_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedApp]:
    folder = tmp_path_factory.mktemp("schema-fuzz")
    with (
        sqlite_database(migrated_sqlite_template(folder), folder) as db,
        fuzzed_app(db, folder / "media") as found,
    ):
        yield found


def call(case: Case) -> Any:
    """Send ``case`` to the app in-process; a hang fails the test after :data:`REQUEST_TIMEOUT`."""
    response = case.call(timeout=REQUEST_TIMEOUT)
    case.validate_response(response, checks=CHECKS)
    failure = problem_failure(response.status_code, response.headers.get("content-type", [""])[0],
                              response.content)  # fmt: skip
    assert failure is None, f"{case.method} {case.formatted_path}: {failure}"
    return response


def strategy(app: FuzzedApp, path: str, method: str, **fixed: Any) -> st.SearchStrategy[Case]:
    operation = app.schema[path][method]
    return st.one_of(*(operation.as_strategy(generation_mode=mode, **fixed) for mode in MODES))


def run(
    strategy_: st.SearchStrategy[Case], examples: int, check: Callable[[Case, Any], None] | None = None
) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(strategy_)
    def one(case: Case) -> None:
        response = call(case)
        if check is not None:
            check(case, response)

    one()


ROUTES = {
    ("/webhooks/chatflow/{tenant_id}", "POST"),
    ("/webhook/{tenant_id}", "POST"),
    ("/webhooks/telegram/{tenant_id}", "POST"),
    ("/media/{token}", "GET"),
    ("/healthz", "GET"),
    ("/admin/version", "GET"),
    ("/admin/health", "GET"),
    ("/admin/metrics", "GET"),
    ("/metrics", "GET"),
}
"""The routes this file knows; a route added later is still fuzzed by the no-credentials test."""


def _served(app: FuzzedApp) -> list[tuple[str, str]]:
    return sorted((op.ok().path, op.ok().method.upper()) for op in app.schema.get_all_operations())


def test_the_schema_lists_every_route_we_fuzz(embedded: FuzzedApp) -> None:
    assert set(_served(embedded)) >= ROUTES


def test_any_input_without_credentials_gets_no_5xx(embedded: FuzzedApp) -> None:
    for path, method in _served(embedded):
        run(strategy(embedded, path, method), 30)


@pytest.mark.parametrize("path", ["/webhooks/chatflow/{tenant_id}", "/webhook/{tenant_id}"])
def test_any_chatflow_body_for_the_right_tenant_and_secret_gets_no_5xx(
    embedded: FuzzedApp, path: str
) -> None:
    fixed = {"path_parameters": {"tenant_id": "demo_salon"}, "headers": {"X-Webhook-Secret": SECRET}}
    statuses: set[int] = set()
    run(strategy(embedded, path, "POST", **fixed), 100, lambda _case, r: statuses.add(r.status_code))
    assert 200 in statuses and 400 in statuses  # the bodies did reach the parser and the store


def test_any_telegram_update_with_the_right_secret_gets_no_5xx(embedded: FuzzedApp) -> None:
    fixed = {
        "path_parameters": {"tenant_id": "demo_salon"},
        "headers": {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    }
    statuses: set[int] = set()
    run(strategy(embedded, "/webhooks/telegram/{tenant_id}", "POST", **fixed), 100,
        lambda _case, r: statuses.add(r.status_code))  # fmt: skip
    # Telegram re-delivers anything but a 2xx: an unreadable update is acknowledged, not refused.
    assert 200 in statuses and 400 not in statuses


@pytest.mark.parametrize("path", ["/admin/version", "/admin/health", "/admin/metrics", "/metrics"])
def test_admin_routes_with_the_token_get_no_5xx(embedded: FuzzedApp, path: str) -> None:
    run(strategy(embedded, path, "GET", headers={"X-Admin-Token": ADMIN_TOKEN}), 25)


def test_admin_metrics_with_any_tenant_and_date(embedded: FuzzedApp) -> None:
    fixed = {"headers": {"X-Admin-Token": ADMIN_TOKEN}}
    tenants = st.sampled_from(["demo_salon", "nobody"]) | st.text(max_size=20)
    dates = st.sampled_from(["2026-03-04", "2026-02-30", "", "9999-12-31"]) | st.text(max_size=12)
    operation = st.tuples(tenants, dates).flatmap(
        lambda td: strategy(
            embedded, "/admin/metrics", "GET", query={"tenant": td[0], "date": td[1]}, **fixed
        )
    )
    run(operation, 40)


@pytest.mark.integration
def test_the_chatflow_webhook_on_postgresql_and_redis_gets_no_5xx(
    production_backend: Backend, tmp_path: Path
) -> None:
    """PostgreSQL refuses what SQLite takes (NUL in text, values over a column's width): same fuzz there."""
    with fuzzed_app(production_backend.db, tmp_path / "media", redis_client=production_backend.redis) as app:
        fixed = {"path_parameters": {"tenant_id": "demo_salon"}, "headers": {"X-Webhook-Secret": SECRET}}
        statuses: set[int] = set()
        run(strategy(app, "/webhooks/chatflow/{tenant_id}", "POST", **fixed), 120,
            lambda _case, r: statuses.add(r.status_code))  # fmt: skip
        assert 200 in statuses and 400 in statuses
