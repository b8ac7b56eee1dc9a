"""The dramatiq actors: thin — decode the arguments, call the service function, done."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dramatiq

from workers.drain import drain_outbox
from workers.process import process_conversation
from workers.queue import (
    DRAIN_ACTOR,
    MEDIA_QUEUE,
    OUTBOX_QUEUE,
    PROCESS_ACTOR,
    SEND_ACTOR,
    SEND_MEDIA_ACTOR,
    TURNS_QUEUE,
)
from workers.runtime import Runtime
from workers.send import send_outbox

__all__ = ["ACTOR_OPTIONS", "declare_actors"]

ACTOR_OPTIONS: dict[str, object] = {"max_retries": 5, "min_backoff": 200, "max_backoff": 10_000}
"""Dramatiq-level retries cover unexpected errors (database briefly down); delivery retries are ours."""


def declare_actors(broker: dramatiq.Broker, rt: Runtime) -> tuple[dramatiq.Actor[..., object], ...]:
    """Register ``process_conversation``, ``send_outbox`` (text and media queue) and ``drain_outbox``."""

    def process(tenant_id: str, conversation_id: str) -> None:
        process_conversation(rt, tenant_id, uuid.UUID(conversation_id))

    def send(tenant_id: str, outbox_id: str) -> None:
        send_outbox(rt, tenant_id, uuid.UUID(outbox_id))

    def drain(tenant_id: str) -> None:
        drain_outbox(rt, tenant_id)

    declared: list[tuple[Callable[..., None], str, str]] = [
        (process, PROCESS_ACTOR, TURNS_QUEUE),
        (send, SEND_ACTOR, OUTBOX_QUEUE),
        (drain, DRAIN_ACTOR, OUTBOX_QUEUE),
        (send, SEND_MEDIA_ACTOR, MEDIA_QUEUE),
    ]
    return tuple(
        dramatiq.Actor(
            fn, broker=broker, actor_name=name, queue_name=queue, priority=0, options=dict(ACTOR_OPTIONS)
        )
        for fn, name, queue in declared
    )
