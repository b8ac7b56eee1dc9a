"""enqueue_many: many dramatiq messages in one Redis round trip, consumed by a real dramatiq worker."""

from __future__ import annotations

import uuid
from typing import Any

import dramatiq
import pytest
import redis

from storage.log_context import current_correlation_id, current_tenant
from tests.e2e.harness import redis_test_client
from workers.batch_enqueue import enqueue_many
from workers.correlation import install_correlation
from workers.queue import PROCESS_ACTOR, TURNS_QUEUE, TaskQueue, TurnJob, make_broker

pytestmark = pytest.mark.integration


def _worker_seen(broker: dramatiq.Broker) -> list[tuple[Any, ...]]:
    """What the process actor, declared on ``broker``, is called with (and the log context it runs in)."""
    seen: list[tuple[Any, ...]] = []

    def process(tenant_id: str, conversation_id: str) -> None:
        seen.append((tenant_id, conversation_id, current_tenant(), current_correlation_id()))

    dramatiq.Actor(process, broker=broker, actor_name=PROCESS_ACTOR, queue_name=TURNS_QUEUE, priority=0,
                   options={})  # fmt: skip
    return seen


def test_turns_enqueued_together_reach_a_worker_with_their_correlation_ids() -> None:
    client = redis_test_client()
    broker = make_broker("redis", client, namespace=f"test-batch-{uuid.uuid4().hex[:8]}")
    install_correlation(broker)
    queue = TaskQueue(broker)
    seen = _worker_seen(broker)
    conversations = [uuid.uuid4() for _ in range(3)]
    pipelines: list[int] = []
    real_pipeline = client.pipeline

    def counting_pipeline(*args: Any, **kwargs: Any) -> Any:
        pipelines.append(1)
        return real_pipeline(*args, **kwargs)

    client.pipeline = counting_pipeline  # type: ignore[method-assign]
    queue.process_conversations(
        [
            TurnJob("demo_salon", conversations[0], 0.0, "in-0000000000000001"),
            TurnJob("demo_salon", conversations[1], 0.0, None),
            TurnJob("auto_service", conversations[2], 0.2, "in-0000000000000003"),  # coalescing delay
        ]
    )
    assert len(pipelines) == 1
    depths = queue.depths()
    assert depths["turns"] == 3  # two ready, one on the delay queue
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    try:
        broker.join(TURNS_QUEUE, timeout=10_000)
    finally:
        worker.stop()
        client.close()
    assert sorted(seen) == sorted(
        [
            ("demo_salon", str(conversations[0]), "demo_salon", "in-0000000000000001"),
            ("demo_salon", str(conversations[1]), "demo_salon", None),
            ("auto_service", str(conversations[2]), "auto_service", "in-0000000000000003"),
        ]
    )


def test_on_the_embedded_broker_messages_go_one_by_one_with_their_delays() -> None:
    broker = make_broker("embedded")
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=TURNS_QUEUE, actor_name=PROCESS_ACTOR, args=("t", "c"), kwargs={}, options={}
    )
    enqueue_many(broker, [(message, None), (message, 500)])
    enqueue_many(broker, [])
    assert broker.queues[TURNS_QUEUE].qsize() == 1  # type: ignore[attr-defined]
    assert broker.queues[f"{TURNS_QUEUE}.DQ"].qsize() == 1  # type: ignore[attr-defined]


def test_a_broker_error_reaches_the_caller() -> None:
    from workers.service import redis_client

    dead = redis_client("redis://127.0.0.1:1/0", timeout=0.2)
    queue = TaskQueue(make_broker("redis", dead, namespace="test-dead"))
    with pytest.raises(redis.ConnectionError):
        queue.process_conversations([TurnJob("demo_salon", uuid.uuid4())])


def test_after_redis_lost_its_scripts_the_batch_is_resent_once_and_enqueued_once() -> None:
    client = redis_test_client()
    broker = make_broker("redis", client, namespace=f"test-batch-{uuid.uuid4().hex[:8]}")
    queue = TaskQueue(broker)
    queue.process_conversations([TurnJob("demo_salon", uuid.uuid4())])  # the script is loaded
    client.script_flush()  # as after a Redis restart
    queue.process_conversations([TurnJob("demo_salon", uuid.uuid4()), TurnJob("demo_salon", uuid.uuid4())])
    try:
        assert queue.depths()["turns"] == 3
    finally:
        client.close()
