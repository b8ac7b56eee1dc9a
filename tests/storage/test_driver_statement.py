"""DriverStatement: the compiled statement on raw psycopg behaves as ``Connection.execute`` would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from sqlalchemy import Column, MetaData, String, Table, bindparam, create_engine, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import Channel, Database, OutboxDraft, OutboxStatus, TenantDirectory, TenantStore
from storage.driver_statement import DriverStatement
from storage.enums import Direction
from storage.models import Message, OutboxRow
from storage.repos.convert import outbox_record
from tests.storage.conftest import empty_all_tables

pytestmark = pytest.mark.integration

PROBE = Table("driver_statement_probe", MetaData(), Column("key", String, primary_key=True))


@pytest.fixture
def probe_insert(postgres_database: Database) -> Iterator[DriverStatement]:
    """An insert into a scratch table (dropped afterwards: the schema tests compare tables)."""
    engine = postgres_database.engine
    with engine.begin() as conn:
        PROBE.create(conn, checkfirst=True)
        conn.execute(PROBE.delete())
    statement = postgresql.insert(PROBE).values(key=bindparam("key")).returning(PROBE.c.key)
    yield DriverStatement(statement, engine.dialect)
    with engine.begin() as conn:
        PROBE.drop(conn, checkfirst=True)


def test_rows_come_back_and_column_types_are_applied(postgres_database: Database) -> None:
    empty_all_tables(postgres_database)
    statement = DriverStatement(
        select(
            bindparam("direction", type_=Message.__table__.c.direction.type),
            bindparam("media", type_=Message.__table__.c.media.type),
        ),
        postgres_database.engine.dialect,
    )
    params = statement.parameters({"direction": Direction.OUT, "media": {"type": "image"}})
    assert params["direction"] == Direction.OUT.value or params["direction"] == Direction.OUT.name
    with postgres_database.engine.connect() as conn:
        row = statement.first(conn, {"direction": Direction.IN, "media": {"type": "image"}})
    assert row is not None
    assert row[1] == {"type": "image"}


def test_a_unique_violation_is_sqlalchemys_integrity_error(
    postgres_database: Database, probe_insert: DriverStatement
) -> None:
    insert = probe_insert
    engine = postgres_database.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert insert.first(conn, {"key": "m-1"}) == ("m-1",)
        with pytest.raises(IntegrityError) as caught:
            insert.first(conn, {"key": "m-1"})
    assert "driver_statement_probe" in str(caught.value)


def test_a_killed_connection_is_invalidated_and_the_pool_recovers(
    postgres_database: Database, probe_insert: DriverStatement
) -> None:
    insert = probe_insert
    engine = postgres_database.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as killer:
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as caught:
            insert.first(conn, {"key": "m-2"})
        assert conn.invalidated
    assert caught.value.connection_invalidated is False  # ours: the flag is SQLAlchemy's own path's
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # a fresh backend
        assert insert.first(conn, {"key": "m-3"}) is not None


def test_other_drivers_are_refused_with_the_alternative() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(ValueError, match=r"use Connection\.execute"):
        DriverStatement(select(bindparam("x")), engine.dialect)


def test_outbox_records_read_through_psycopg_equal_sqlalchemys(postgres_database: Database) -> None:
    """records() applies the same result types as Connection.execute (enums, JSON, UTC datetimes)."""
    empty_all_tables(postgres_database)
    TenantDirectory(postgres_database.session_factory).upsert("acme", "Acme")
    store = TenantStore(postgres_database.session_factory, "acme")
    conversation = store.conversations.get_or_create("77011234567@s.whatsapp.net")
    store.outbox.enqueue(
        OutboxDraft(
            idempotency_key="k-1",
            channel=Channel.CHATFLOW,
            conversation_id=conversation.id,
            payload={"kind": "text", "jid": conversation.jid, "text": "Здравствуйте"},
        )
    )
    query = select(*OutboxRow.__table__.c)
    with postgres_database.engine.connect() as conn:
        via_sqlalchemy = [outbox_record(cast(OutboxRow, row)) for row in conn.execute(query)]
        via_psycopg = [
            outbox_record(cast(OutboxRow, row))
            for row in DriverStatement(query, conn.dialect).records(conn, {})
        ]
    assert via_psycopg == via_sqlalchemy
    assert via_psycopg[0].status is OutboxStatus.PENDING
    assert via_psycopg[0].created_at.utcoffset() is not None


def test_an_expanding_in_is_refused_with_the_rewrite(postgres_database: Database) -> None:
    query = select(OutboxRow.id).where(OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.SENT]))
    with pytest.raises(ValueError, match="equalities joined by OR"):
        DriverStatement(query, postgres_database.engine.dialect)
