"""Group commit for the web edge: the inbound writes that arrive together commit together.

An ingest used to store its message with one blocking statement on the event loop, so an API
process served nothing else while PostgreSQL parsed, wrote and flushed the WAL for that one
message. :class:`InboundWriter` runs on the event loop instead, over its own psycopg
``AsyncConnection``: a handler hands over its :class:`~storage.repos.inbound_sql.InboundWrite` and
awaits the outcome, and the loop serves other webhooks meanwhile. The writer takes every write
waiting at that moment: a few (fewer than :data:`PIPELINE_FROM`) go as single statements one after
another, each its own transaction, as before; more go as ONE transaction in ONE round trip
(pipeline mode: ``BEGIN``, the CTEs, ``COMMIT``), so under heavy load one commit (one WAL flush)
serves many messages. Then it resolves each handler's future.

Nothing is acknowledged before its transaction commits. The writes of a batch run in a fixed order
(tenant, customer, message id), so two API processes' batches lock customer and conversation rows
in the same order and cannot deadlock on them. When a pipelined batch fails on a healthy connection
(a bad value; a deadlock with a duplicate delivery another process is storing), every write in it
is retried on its own, so one bad message fails alone. When the connection is lost, or a write does
not finish within ``timeout_seconds``, the connection is dropped and the writes of that batch fail
with :class:`~storage.errors.StorageUnavailable` (the next batch connects afresh). The provider
re-delivers a message whose webhook failed, and the database's dedup key makes the re-delivery a
duplicate if the first transaction did commit after all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import AsyncConnection

from storage.db import PG_CONNECT_TIMEOUT_S, PG_TCP_USER_TIMEOUT_MS, Database
from storage.errors import ConstraintViolation, InvalidValue, StorageError, StorageUnavailable
from storage.records import InboundOutcome
from storage.repos.inbound_sql import InboundWrite

__all__ = ["DEFAULT_MAX_BATCH", "DEFAULT_TIMEOUT_SECONDS", "InboundWriter", "conninfo"]

log = logging.getLogger("truffles.storage.inbound_writer")

DEFAULT_MAX_BATCH = 64
"""Writes per transaction at most (a burst beyond it forms the next batch at once)."""
PIPELINE_FROM = 5
"""Smaller batches go as single statements, one after another: entering and leaving pipeline mode
costs ~250 µs of client CPU, a single statement ~110 µs (psycopg 3.3, measured on this machine)."""
DEFAULT_TIMEOUT_SECONDS = 10.0
"""A batch still running after this has failed (matches the connection's TCP user timeout)."""

APPLICATION_NAME = "truffles-inbound-writer"
"""How the writer's connection shows in ``pg_stat_activity``."""

_Job = tuple[InboundWrite, "asyncio.Future[InboundOutcome]"]


def conninfo(db: Database) -> str:
    """The libpq URL of ``db``'s PostgreSQL (password included), for a connection of our own."""
    url = db.engine.url
    if url.get_backend_name() != "postgresql":
        raise InvalidValue(
            "database URL",
            f"{url.get_backend_name()!r} has no group commit",
            "use InboundWriter with PostgreSQL only (SQLite stores through Messages.record_inbound)",
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class InboundWriter:
    """One per event loop (an API process); not thread-safe: call :meth:`record` from the loop."""

    def __init__(
        self,
        conninfo: str,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if max_batch < 1 or timeout_seconds <= 0:
            raise InvalidValue(
                "InboundWriter",
                f"max_batch={max_batch}, timeout_seconds={timeout_seconds}",
                "max_batch must be >= 1 and timeout_seconds > 0",
            )
        self._conninfo = conninfo
        self.max_batch = max_batch
        self.timeout_seconds = timeout_seconds
        self._pending: list[_Job] = []
        self._runner: asyncio.Task[None] | None = None
        self._connection: AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        """Transactions committed so far (for benchmarks and tests)."""

    async def record(self, write: InboundWrite) -> InboundOutcome:
        """Store ``write`` (with whatever else is waiting); raises a :class:`StorageError` on failure."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._move_to(loop)
        future: asyncio.Future[InboundOutcome] = loop.create_future()
        self._pending.append((write, future))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run())
        return await future

    def _move_to(self, loop: asyncio.AbstractEventLoop) -> None:
        """A new event loop (a test client's, a restarted server's): forget the old loop's objects."""
        self.discard()
        self._loop = loop

    def discard(self) -> None:
        """Close the connection without awaiting anything (its loop may be gone); drop queued writes.

        For a process that ends without the app's shutdown (tests driving the app in-process).
        Writes still queued were never committed: their handlers are on the discarded loop.
        """
        if self._connection is not None:
            self._connection.pgconn.finish()
            self._connection = None
        self._pending = []
        self._runner = None

    async def close(self) -> None:
        """Finish what is queued, then close the connection."""
        if self._loop is not asyncio.get_running_loop():
            self.discard()
            return
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _run(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            live = [(write, future) for write, future in batch if not future.done()]
            if not live:
                continue
            try:
                await self._write_batch(live)
            except BaseException as exc:  # a bug or the runner cancelled: no handler may wait forever
                if not isinstance(exc, asyncio.CancelledError):
                    log.exception("the inbound writer failed on a batch of %d", len(live))
                for write, future in live:
                    _settle(future, exception=_storage_error(write, exc))
                if self._connection is not None:
                    self._connection.pgconn.finish()  # its state is unknown now
                    self._connection = None
                if isinstance(exc, asyncio.CancelledError):
                    raise

    async def _write_batch(self, batch: list[_Job]) -> None:
        if len(batch) >= PIPELINE_FROM:
            batch = await self._write_pipelined(batch)  # what is left: writes to try one by one
        for n, job in enumerate(batch):
            error = await self._write_alone(job)
            if error is not None and self._connection is None:  # no connection: the rest fail alike
                for write, future in batch[n + 1 :]:
                    _settle(future, exception=_storage_error(write, error))
                return

    async def _write_pipelined(self, batch: list[_Job]) -> list[_Job]:
        """The batch as one transaction; returns the writes to retry alone if it failed (else none)."""
        ordered = sorted(batch, key=lambda job: job[0].lock_order)
        try:
            outcomes = await asyncio.wait_for(
                self._commit([write for write, _ in ordered]), self.timeout_seconds
            )
        except (psycopg.Error, TimeoutError) as exc:
            await self._after_failure(exc)
            if self._connection is None:  # the connection is gone: every write fails alike
                for write, future in ordered:
                    _settle(future, exception=_storage_error(write, exc))
                return []
            # A bad value, a deadlock with another process's batch, ...: one by one, each fails alone.
            log.warning("a batch of %d inbound writes failed (%s); writing each alone", len(ordered), exc)
            return ordered
        self.batches += 1
        for (_, future), outcome in zip(ordered, outcomes, strict=True):
            _settle(future, result=outcome)
        return []

    async def _write_alone(self, job: _Job) -> BaseException | None:
        """One write as its own statement (autocommit: its own transaction); returns its error."""
        write, future = job
        try:
            connection = await self._connect()
            outcome = await asyncio.wait_for(self._store_one(connection, write), self.timeout_seconds)
        except (psycopg.Error, TimeoutError) as exc:
            await self._after_failure(exc)
            _settle(future, exception=_storage_error(write, exc))
            return exc
        self.batches += 1
        _settle(future, result=outcome)
        return None

    async def _store_one(self, connection: AsyncConnection[Any], write: InboundWrite) -> InboundOutcome:
        cursor = await connection.execute(write.sql, write.params, prepare=True)
        return await self._outcome(connection, write, await cursor.fetchone())

    async def _commit(self, writes: Sequence[InboundWrite]) -> list[InboundOutcome]:
        """Every write in ONE transaction and ONE round trip (pipeline mode)."""
        connection = await self._connect()
        async with connection.pipeline() as pipeline:
            # BEGIN/COMMIT as plain statements: psycopg's transaction() block costs ~2x the CPU here.
            await connection.execute("BEGIN")
            cursors = [await connection.execute(w.sql, w.params, prepare=True) for w in writes]
            await connection.execute("COMMIT")
            await pipeline.sync()
        rows = [await cursor.fetchone() for cursor in cursors]
        return [await self._outcome(connection, w, row) for w, row in zip(writes, rows, strict=True)]

    @staticmethod
    async def _outcome(
        connection: AsyncConnection[Any], write: InboundWrite, row: tuple[Any, ...] | None
    ) -> InboundOutcome:
        """The outcome from the CTE's row; no row: a duplicate, whose first delivery is looked up."""
        if row is not None:
            return InboundOutcome(
                duplicate=False, message_id=row[0], conversation_id=row[1], customer_id=row[2]
            )
        # A fresh statement sees the first delivery (it committed before our dedup insert could
        # conflict with it).
        found = await (await connection.execute(write.lookup_sql, write.lookup_params())).fetchone()
        return InboundOutcome(
            duplicate=True,
            message_id=found[0] if found else None,
            conversation_id=found[1] if found else None,
            customer_id=None,
        )

    async def _connect(self) -> AsyncConnection[Any]:
        if self._connection is None or self._connection.closed or self._connection.broken:
            self._connection = await AsyncConnection.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=PG_CONNECT_TIMEOUT_S,
                tcp_user_timeout=PG_TCP_USER_TIMEOUT_MS,
                keepalives=1,
                keepalives_idle=30,
                application_name=APPLICATION_NAME,
            )
        return self._connection

    async def _after_failure(self, exc: BaseException) -> None:
        """Drop the connection (``self._connection`` becomes None) unless it is healthy and idle again."""
        connection = self._connection
        if connection is None:
            return
        healthy = isinstance(exc, psycopg.Error) and not connection.broken
        if healthy and connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:  # a failed batch leaves its transaction open: end it, keep the connection
                await connection.execute("ROLLBACK")
            except psycopg.Error:
                healthy = False
        if not healthy:
            self._connection = None
            with contextlib.suppress(psycopg.Error):
                await connection.close()


def _storage_error(write: InboundWrite, exc: BaseException) -> StorageError:
    operation = "record inbound message"
    if isinstance(exc, psycopg.IntegrityError):
        return ConstraintViolation(operation, write.tenant_id, exc)
    if isinstance(exc, TimeoutError):
        return StorageUnavailable(operation, TimeoutError(f"no answer from PostgreSQL in time: {exc}"))
    return StorageUnavailable(operation, exc)


def _settle(
    future: asyncio.Future[InboundOutcome],
    *,
    result: InboundOutcome | None = None,
    exception: BaseException | None = None,
) -> None:
    """Resolve a handler's future unless the handler gave up on it (cancelled)."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        assert result is not None
        future.set_result(result)
