"""CorrelationMiddleware: the producer's correlation id rides in the message and is bound while it runs."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from storage.log_context import current_correlation_id, current_tenant, log_context
from workers.correlation import install_correlation


def test_the_id_travels_from_enqueue_to_the_worker_and_to_what_it_enqueues() -> None:
    broker = StubBroker()
    install_correlation(broker)
    install_correlation(broker)  # idempotent
    seen: list[tuple[Any, ...]] = []

    def second(tenant_id: str) -> None:
        seen.append(("second", current_tenant(), current_correlation_id()))

    second_actor = dramatiq.Actor(second, broker=broker, actor_name="second", queue_name="q", priority=0,
                                  options={})  # fmt: skip

    def first(tenant_id: str) -> None:
        seen.append(("first", current_tenant(), current_correlation_id()))
        second_actor.send(tenant_id)

    first_actor = dramatiq.Actor(first, broker=broker, actor_name="first", queue_name="q", priority=0,
                                 options={})  # fmt: skip
    with log_context(correlation_id="in-aaaabbbbccccdddd"):
        message = first_actor.send("demo_salon")
    first_actor.send("other")  # enqueued outside any message: no id
    assert message.options["correlation_id"] == "in-aaaabbbbccccdddd"
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        broker.join("q", fail_fast=True)
        worker.join()
    finally:
        worker.stop()
    assert sorted(seen, key=str) == sorted(
        [
            ("first", "demo_salon", "in-aaaabbbbccccdddd"),
            ("second", "demo_salon", "in-aaaabbbbccccdddd"),
            ("first", "other", None),
            ("second", "other", None),
        ],
        key=str,
    )
    assert sum(1 for m in broker.middleware if type(m).__name__ == "CorrelationMiddleware") == 1
    assert current_correlation_id() is None  # nothing leaked into the test's own context
