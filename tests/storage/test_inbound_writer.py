"""The web edge's group commit: concurrent inbound writes share transactions and lose nothing.

PostgreSQL only (the writer runs on psycopg's async connection); SQLite stores through
``Messages.record_inbound`` alone.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import psycopg
import pytest

from storage import ConstraintViolation, Database, InboundDraft, InvalidValue, StorageUnavailable, TenantStore
from storage.inbound_writer import APPLICATION_NAME, PIPELINE_FROM, InboundWriter, conninfo
from tests.channels.conftest import anyio_backend  # noqa: F401 (fixture)
from tests.storage.conftest import TENANT, FakeClock, empty_all_tables
from tests.storage.helpers import JID

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

OTHER_JID = "77019998877@s.whatsapp.net"


@pytest.fixture
def pg(postgres_database: Database) -> Database:
    empty_all_tables(postgres_database)
    return postgres_database


@pytest.fixture
def acme(pg: Database, clock: FakeClock) -> TenantStore:
    from storage import TenantDirectory

    TenantDirectory(pg.session_factory, clock=clock).upsert(TENANT, "Acme Salon")
    return TenantStore(pg.session_factory, TENANT, clock=clock)


def _draft(provider_id: str, jid: str = JID, text: str = "hello") -> InboundDraft:
    return InboundDraft(provider_message_id=provider_id, jid=jid, text=text)


async def test_concurrent_writes_share_transactions_and_are_all_stored(
    pg: Database, acme: TenantStore
) -> None:
    writer = InboundWriter(conninfo(pg))
    try:
        jids = [f"7701000{n:04d}@s.whatsapp.net" for n in range(10)]
        drafts = [_draft(f"wamid.{n}", jids[n % 10], f"text {n}") for n in range(40)]
        outcomes = await asyncio.gather(*(writer.record(acme.messages.prepare_inbound(d)) for d in drafts))
    finally:
        await writer.close()
    assert not any(o.duplicate for o in outcomes)
    assert writer.batches < len(drafts)  # group commit: fewer transactions than messages
    for n, jid in enumerate(jids):
        conversation = acme.conversations.find_by_jid(jid)
        assert conversation is not None
        texts = sorted(m.text or "" for m in acme.messages.unprocessed(conversation.id))
        assert texts == sorted(f"text {k}" for k in range(n, 40, 10))
    assert {o.conversation_id for o in outcomes} == {
        acme.conversations.find_by_jid(jid).id  # type: ignore[union-attr]
        for jid in jids
    }


async def test_writes_the_same_rows_as_record_inbound(pg: Database, acme: TenantStore) -> None:
    first = acme.messages.record_inbound(_draft("wamid.1", text="first"))
    writer = InboundWriter(conninfo(pg))
    try:
        second = await writer.record(acme.messages.prepare_inbound(_draft("wamid.2", text="second")))
    finally:
        await writer.close()
    assert second.conversation_id == first.conversation_id and second.customer_id == first.customer_id
    assert second.message_id is not None
    stored = acme.messages.get(second.message_id)
    assert (stored.text, stored.processed, stored.provider_message_id) == ("second", False, "wamid.2")


async def test_duplicates_in_one_batch_and_across_batches_are_reported_not_written(
    pg: Database, acme: TenantStore
) -> None:
    writer = InboundWriter(conninfo(pg))
    others = [acme.messages.prepare_inbound(_draft(f"wamid.other.{n}")) for n in range(PIPELINE_FROM)]
    try:
        write = acme.messages.prepare_inbound(_draft("wamid.1"))
        again = acme.messages.prepare_inbound(_draft("wamid.1", text="changed"))
        one, two, *_ = await asyncio.gather(  # one pipelined transaction holds both deliveries
            writer.record(write), writer.record(again), *(writer.record(w) for w in others)
        )
        later = await writer.record(acme.messages.prepare_inbound(_draft("wamid.1")))
    finally:
        await writer.close()
    assert writer.batches == 2
    first, duplicate = (one, two) if not one.duplicate else (two, one)
    assert not first.duplicate and duplicate.duplicate and later.duplicate
    assert duplicate.message_id == first.message_id == later.message_id
    assert first.conversation_id is not None
    texts = [m.text for m in acme.messages.unprocessed(first.conversation_id)]
    assert (
        texts.count("hello") + texts.count("changed") == PIPELINE_FROM + 1
    )  # one of the two, and the others


@pytest.mark.parametrize("batch", [3, PIPELINE_FROM + 3])
async def test_a_bad_write_fails_alone_and_the_rest_of_its_batch_is_stored(
    pg: Database, acme: TenantStore, clock: FakeClock, caplog: pytest.LogCaptureFixture, batch: int
) -> None:
    ghost = TenantStore(pg.session_factory, "ghost", clock=clock)  # no such tenant: a foreign key breaks
    writes = [acme.messages.prepare_inbound(_draft(f"wamid.{n}", jid=f"7701{n:07d}@s.whatsapp.net"))
              for n in range(batch - 1)]  # fmt: skip
    writes.insert(1, ghost.messages.prepare_inbound(_draft("wamid.ghost")))
    writer = InboundWriter(conninfo(pg))
    try:
        with caplog.at_level(logging.WARNING, logger="truffles.storage.inbound_writer"):
            results = await asyncio.gather(*(writer.record(w) for w in writes), return_exceptions=True)
        after = await writer.record(acme.messages.prepare_inbound(_draft("wamid.after")))  # still usable
    finally:
        await writer.close()
    pipelined = batch >= PIPELINE_FROM
    assert (
        any(f"a batch of {batch} inbound writes failed" in r.getMessage() for r in caplog.records)
        == pipelined
    )
    assert isinstance(results[1], ConstraintViolation) and "ghost" in str(results[1])
    for stored in (*results[:1], *results[2:], after):
        assert not isinstance(stored, BaseException) and not stored.duplicate
        assert stored.message_id is not None and acme.messages.get(stored.message_id).text == "hello"


async def test_a_batch_stuck_on_a_lock_times_out_and_the_writer_recovers(
    pg: Database, acme: TenantStore
) -> None:
    acme.messages.record_inbound(_draft("wamid.0"))
    locker = psycopg.connect(conninfo(pg))
    try:
        locker.execute("SELECT 1 FROM customers WHERE jid = %s FOR UPDATE", (JID,))  # holds the row
        writer = InboundWriter(conninfo(pg), timeout_seconds=0.5)
        with pytest.raises(StorageUnavailable, match="in time"):
            await writer.record(acme.messages.prepare_inbound(_draft("wamid.1")))
        locker.rollback()
        outcome = await writer.record(acme.messages.prepare_inbound(_draft("wamid.2")))
        await writer.close()
    finally:
        locker.close()
    assert not outcome.duplicate and outcome.message_id is not None
    # The timed-out write was never committed: its re-delivery is stored, not a duplicate.
    assert acme.messages.record_inbound(_draft("wamid.1")).duplicate is False


@pytest.mark.parametrize("batch", [3, PIPELINE_FROM + 1])
async def test_an_unreachable_database_fails_every_write_with_storage_unavailable(
    acme: TenantStore, batch: int
) -> None:
    writer = InboundWriter("postgresql://postgres@127.0.0.1:1/nowhere")
    results = await asyncio.gather(
        *(writer.record(acme.messages.prepare_inbound(_draft(f"wamid.{n}"))) for n in range(batch)),
        return_exceptions=True,
    )
    assert all(isinstance(r, StorageUnavailable) for r in results), results
    await writer.close()


async def test_a_lost_connection_fails_its_write_and_the_next_one_reconnects(
    pg: Database, acme: TenantStore
) -> None:
    writer = InboundWriter(conninfo(pg))
    try:
        await writer.record(acme.messages.prepare_inbound(_draft("wamid.1")))
        with psycopg.connect(conninfo(pg), autocommit=True) as admin:  # as a PostgreSQL restart would
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (APPLICATION_NAME,),
            )
        with pytest.raises(StorageUnavailable):
            await writer.record(acme.messages.prepare_inbound(_draft("wamid.2")))
        after = await writer.record(acme.messages.prepare_inbound(_draft("wamid.3")))
    finally:
        await writer.close()
    assert not after.duplicate
    assert acme.messages.record_inbound(_draft("wamid.2")).duplicate is False  # never half-stored


async def test_an_unexpected_error_fails_its_batch_and_the_writer_goes_on(
    pg: Database, acme: TenantStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = InboundWriter(conninfo(pg))
    real = InboundWriter._write_batch

    async def broken(self: InboundWriter, batch: list[Any]) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(InboundWriter, "_write_batch", broken)
    try:
        with pytest.raises(StorageUnavailable, match="a bug"):
            await asyncio.wait_for(writer.record(acme.messages.prepare_inbound(_draft("wamid.1"))), 5)
        monkeypatch.setattr(InboundWriter, "_write_batch", real)
        outcome = await writer.record(acme.messages.prepare_inbound(_draft("wamid.1")))
    finally:
        await writer.close()
    assert not outcome.duplicate  # the failed attempt wrote nothing


def test_the_writer_refuses_sqlite_and_bad_settings(sqlite_database: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidValue, match="group commit"):
        conninfo(sqlite_database)
    sqlite_store = TenantStore(sqlite_database.session_factory, TENANT, clock=clock)
    with pytest.raises(InvalidValue, match="record_inbound"):
        sqlite_store.messages.prepare_inbound(_draft(f"wamid.{uuid.uuid4().hex}"))
    with pytest.raises(InvalidValue, match="max_batch"):
        InboundWriter("postgresql://x", max_batch=0)
