"""Fixtures shared by tests/api, tests/workers and tests/e2e (imported by their conftest files)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from storage import Database
from tests.e2e.harness import (
    Service,
    empty_tables,
    migrated_sqlite_template,
    postgres_database,
    redis_test_client,
    running_service,
    sqlite_database,
)

BACKENDS = ["embedded", pytest.param("production", marks=pytest.mark.integration)]


@dataclass
class Backend:
    name: str
    db: Database
    redis: redis.Redis | None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("service-db"))


@pytest.fixture(scope="session")
def pg_db() -> Iterator[Database]:
    db = postgres_database()
    yield db
    db.dispose()


@pytest.fixture
def embedded_backend(sqlite_template: Path, tmp_path: Path) -> Iterator[Backend]:
    with sqlite_database(sqlite_template, tmp_path) as db:
        yield Backend("embedded", db, None)


@pytest.fixture
def production_backend(pg_db: Database) -> Iterator[Backend]:
    client = redis_test_client()
    empty_tables(pg_db)
    yield Backend("production", pg_db, client)
    client.flushdb()
    client.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test runs on the embedded backend and (integration) on real PostgreSQL + Redis."""
    found: Backend = request.getfixturevalue(f"{request.param}_backend")
    return found


@pytest.fixture
async def service(backend: Backend) -> AsyncIterator[Service]:
    async with running_service(backend.db, redis_client=backend.redis) as svc:
        yield svc
