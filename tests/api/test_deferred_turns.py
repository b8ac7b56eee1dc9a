"""DeferredTurns: the turns added in one event-loop pass reach the broker in one call, after the pass."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from api.deferred_turns import DeferredTurns
from storage.log_context import log_context
from tests.e2e.fixtures import Backend
from tests.e2e.harness import running_service, service_settings, workers_running
from workers.queue import TURNS_QUEUE, TaskQueue, TurnJob, make_broker
from workers.sweeper import sweep_once

pytestmark = pytest.mark.anyio


class RecordingQueue(TaskQueue):
    def __init__(self, *, down: bool = False) -> None:
        super().__init__(make_broker("embedded"))
        self.calls: list[list[TurnJob]] = []
        self.down = down

    def process_conversations(self, jobs: list[TurnJob]) -> None:
        self.calls.append(list(jobs))
        if self.down:
            raise ConnectionError("broker down")
        super().process_conversations(jobs)


async def test_turns_of_one_pass_are_enqueued_together_after_it() -> None:
    queue = RecordingQueue()
    turns = DeferredTurns(queue)
    jobs = [TurnJob("demo_salon", uuid.uuid4(), 1.0, f"in-{n:016d}") for n in range(3)]
    for job in jobs:
        turns.add(job)
    assert queue.calls == []  # nothing blocks the handlers that add
    await asyncio.sleep(0)
    assert queue.calls == [jobs] and turns.flushes == 1
    assert queue.depths()["turns"] == 3
    turns.add(jobs[0])  # a later pass: its own flush
    await asyncio.sleep(0)
    assert len(queue.calls) == 2


async def test_a_broker_failure_is_logged_per_message_for_the_sweeper(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = RecordingQueue(down=True)
    turns = DeferredTurns(queue)
    job = TurnJob("demo_salon", uuid.uuid4(), 1.0, "in-00000000000000aa")
    with caplog.at_level(logging.ERROR, logger="truffles.api.ingest"), log_context(correlation_id="in-other"):
        turns.add(job)
        await asyncio.sleep(0)
    [record] = [r for r in caplog.records if "not enqueued" in r.getMessage()]
    assert str(job.conversation_id) in record.getMessage() and "sweeper" in record.getMessage()
    assert queue.broker.queues[TURNS_QUEUE].qsize() == 0  # type: ignore[attr-defined]


async def test_flush_sends_what_is_pending_at_once() -> None:
    queue = RecordingQueue()
    turns = DeferredTurns(queue)
    turns.add(TurnJob("demo_salon", uuid.uuid4()))
    turns.flush()  # shutdown: no waiting for the next pass
    assert len(queue.calls) == 1
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert len(queue.calls) == 1 and turns.flushes == 1


async def test_a_turn_lost_after_the_200_is_answered_after_a_sweep(
    production_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API process dies between acknowledging a webhook and flushing its turn: nothing is lost."""
    settings = service_settings(coalesce_seconds=0.0, stuck_inbound_grace_seconds=0.05)
    async with running_service(
        production_backend.db, settings=settings, redis_client=production_backend.redis, workers=False
    ) as service:
        lost: list[TurnJob] = []
        monkeypatch.setattr(DeferredTurns, "flush", lambda self: lost.extend(self._jobs))
        response = await service.say("Где вы находитесь?")
        assert response.json()["status"] == "stored"
        await asyncio.sleep(0.1)
        assert len(lost) == 1 and service.rt.queue.depths()["turns"] == 0
        report = sweep_once(service.rt)
        assert report.inbound == 1
        async with workers_running(service):
            [delivery] = await service.wait_deliveries(1)
        assert "Абая 150" in (delivery.text or "")
