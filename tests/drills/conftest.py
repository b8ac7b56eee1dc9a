"""Drill fixtures: private PostgreSQL + Redis for the session, a clean slate per drill, the result file."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import pytest
import redis
from sqlalchemy.engine import make_url

from storage import Database, open_database, upgrade_to_head
from tests.drills.results import DrillRecord, write_record
from tests.drills.servers import PrivatePostgres, PrivateRedis, private_postgres, private_redis
from tests.e2e.fixtures import anyio_backend  # noqa: F401  (fixture)
from tests.e2e.harness import empty_tables

DRILL_DATABASE = "drills"


@dataclass
class Servers:
    pg: PrivatePostgres
    redis: PrivateRedis
    db: Database

    @property
    def database_url(self) -> str:
        return self.pg.url(DRILL_DATABASE)


@pytest.fixture(scope="session")
def private_servers() -> Iterator[Servers]:
    with private_postgres() as pg, private_redis() as rds:
        pg.create_database(DRILL_DATABASE)
        db = open_database(pg.url(DRILL_DATABASE))
        upgrade_to_head(db.engine)
        try:
            yield Servers(pg, rds, db)
        finally:
            db.dispose()


@pytest.fixture
def servers(private_servers: Servers) -> Servers:
    """The session's private servers, up, with empty tables and an empty Redis."""
    if not _redis_up(private_servers.redis.url):  # a failed drill may have left them down
        private_servers.redis.start()
    if not private_servers.pg.accepts():
        private_servers.pg.start()
    empty_tables(private_servers.db)
    client = redis.Redis.from_url(private_servers.redis.url, socket_timeout=2)
    client.flushall()
    client.close()
    assert make_url(private_servers.database_url).database == DRILL_DATABASE
    return private_servers


def _redis_up(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, object, object]:
    report = yield
    if call.when == "call":
        item.stash[_OUTCOME] = (
            getattr(report, "passed", False),
            str(getattr(report, "longreprtext", ""))[-300:],
        )
    return report


_OUTCOME = pytest.StashKey[tuple[bool, str]]()


@pytest.fixture
def drill_record(request: pytest.FixtureRequest) -> Iterator[DrillRecord]:
    """The drill fills it in; it is written to the results file with the test's outcome."""
    record = DrillRecord(drill=request.node.name.removeprefix("test_"), fault="")
    yield record
    passed, error = request.node.stash.get(_OUTCOME, (False, "did not run to the end"))
    record.passed = passed
    record.error = "" if passed else error.strip().splitlines()[-1] if error.strip() else "failed"
    write_record(record)
