from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.harness import redis_test_client
from workers.alerts import Alert
from workers.heartbeat import (
    FORGET_AFTER_SECONDS,
    SERVICE_ALERT_TENANT,
    Heartbeats,
    HeartbeatWatch,
    MemoryHeartbeats,
    RedisHeartbeats,
    silent_workers,
)


class Collect:
    def __init__(self) -> None:
        self.raised: list[Alert] = []

    def raise_alert(self, alert: Alert) -> None:
        self.raised.append(alert)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def beats(request: pytest.FixtureRequest) -> Iterator[Heartbeats]:
    if request.param == "memory":
        yield MemoryHeartbeats()
        return
    client = redis_test_client()
    key = f"truffles:test:heartbeat:{uuid.uuid4().hex[:8]}"
    yield RedisHeartbeats(client, key=key)
    client.delete(key)


def test_a_fresh_service_is_given_time_before_anyone_is_blamed(beats: Heartbeats) -> None:
    assert silent_workers(beats, now=1000.0, started=990.0, silent_after=120) == []


def test_no_worker_at_all_is_reported_after_the_grace_period(beats: Heartbeats) -> None:
    problems = silent_workers(beats, now=1200.0, started=1000.0, silent_after=120)
    assert len(problems) == 1 and "no worker has reported" in problems[0]


def test_a_worker_that_goes_quiet_is_named_while_a_live_one_keeps_the_service_up(beats: Heartbeats) -> None:
    beats.beat("host:1", 1000.0)
    beats.beat("host:2", 1190.0)
    problems = silent_workers(beats, now=1200.0, started=900.0, silent_after=120)
    assert problems == ["worker host:1 not heard from for 200 s"]


def test_every_worker_silent_means_no_replies(beats: Heartbeats) -> None:
    beats.beat("host:1", 1000.0)
    problems = silent_workers(beats, now=1500.0, started=900.0, silent_after=120)
    assert "no worker has reported" in problems[0] and "host:1" in problems[1]


def test_a_day_old_worker_id_is_forgotten(beats: Heartbeats) -> None:
    beats.beat("old:1", 0.0)
    beats.beat("new:2", FORGET_AFTER_SECONDS + 5)
    silent_workers(beats, now=FORGET_AFTER_SECONDS + 10, started=0.0, silent_after=120)
    assert list(beats.seen()) == ["new:2"]


def test_the_watch_alerts_and_tells_the_ops_chat_at_most_every_ten_minutes() -> None:
    beats = MemoryHeartbeats()
    alerts = Collect()
    told: list[str] = []
    watch = HeartbeatWatch(beats, alerts, silent_after=60, notify=told.append)
    start = watch._started  # the watch's own clock origin
    assert watch.check(now=start + 30) == []
    assert watch.check(now=start + 90)  # nothing ever beat: silent
    watch.check(now=start + 120)
    assert len(told) == 1 and "worker_silent" in told[0]
    assert [a.kind for a in alerts.raised] == ["worker_silent", "worker_silent"]
    assert all(a.tenant_id == SERVICE_ALERT_TENANT for a in alerts.raised)
    watch.check(now=start + 90 + 601)
    assert len(told) == 2
    beats.beat("host:1", start + 700)
    assert watch.check(now=start + 710) == []


def test_a_failing_notifier_never_stops_the_watch() -> None:
    def broken(text: str) -> None:
        raise RuntimeError("telegram is down")

    watch = HeartbeatWatch(MemoryHeartbeats(), Collect(), silent_after=1, notify=broken)
    assert watch.check(now=watch._started + 5)
