"""The schema is made by Alembic only, and agrees with the models on both backends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage import make_engine, upgrade_to_head
from storage.migrate import MIGRATIONS_DIR, current_revision, downgrade_to, head_revision
from storage.models import Base
from tests.storage.conftest import drop_postgres_database, ensure_postgres_database, postgres_url

EXPECTED_TABLES = {
    "tenants",
    "customers",
    "conversations",
    "messages",
    "inbound_dedup",
    "outbox",
    "handovers",
    "telegram_topics",
    "booking_requests",
    "daily_metrics",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a brand-new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = postgres_url()
    ensure_postgres_database(base)
    url = base.rsplit("/", 1)[0] + "/truffles_test_migrations"
    drop_postgres_database(url)
    ensure_postgres_database(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_from_empty_creates_every_table(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    upgrade_to_head(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == EXPECTED_TABLES | {"alembic_version"}
    assert current_revision(empty_engine) == head_revision()


def test_migrated_schema_matches_models_exactly(empty_engine: Engine) -> None:
    upgrade_to_head(empty_engine)
    assert _diff(empty_engine) == []


def test_downgrade_to_base_then_upgrade_again(empty_engine: Engine) -> None:
    upgrade_to_head(empty_engine)
    downgrade_to(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade_to_head(empty_engine)
    assert _diff(empty_engine) == []


def test_upgrade_twice_is_a_no_op(empty_url: str) -> None:
    upgrade_to_head(empty_url)
    upgrade_to_head(empty_url)
    engine = make_engine(empty_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_alembic_cli_reads_url_from_x_argument(empty_url: str) -> None:
    root = MIGRATIONS_DIR.parent
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            str(root / "alembic.ini"),
            "-x",
            f"url={empty_url}",
            "upgrade",
            "head",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    engine = make_engine(empty_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
