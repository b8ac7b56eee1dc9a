"""record_sent: a delivered row is recorded even when the database blinks; other errors pass through."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from storage import IllegalTransition, NotFound, StorageUnavailable
from workers.sent_record import record_sent

ROW = uuid.uuid4()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _flaky(failures: int) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def write() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise StorageUnavailable("mark outbox row sent", ConnectionError("server closed the connection"))
        return "sent"

    return calls, write


def test_the_write_is_retried_with_backoff_until_the_database_is_back() -> None:
    clock = FakeClock()
    calls, write = _flaky(failures=6)
    assert record_sent(ROW, write, sleep=clock.sleep, clock=clock) == "sent"
    assert len(calls) == 7
    assert clock.slept == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_after_the_patience_the_error_is_raised() -> None:
    clock = FakeClock()
    calls, write = _flaky(failures=1000)
    with pytest.raises(StorageUnavailable):
        record_sent(ROW, write, patience=10.0, sleep=clock.sleep, clock=clock)
    assert clock.now <= 10.0 and len(calls) == len(clock.slept) + 1 > 3


def test_other_storage_errors_are_not_retried() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def write() -> str:
        calls.append(1)
        raise NotFound("outbox row", "demo_salon", ROW)

    with pytest.raises(NotFound):
        record_sent(ROW, write, sleep=clock.sleep, clock=clock)
    assert calls == [1] and clock.slept == []


def _released_once() -> tuple[list[str], Callable[[], str]]:
    calls: list[str] = []

    def write() -> str:
        calls.append("write")
        if calls.count("write") == 1:  # the sweeper moved it back to pending meanwhile
            raise IllegalTransition("outbox row", ROW, "pending", "sent", ("cancelled", "sending"))
        return "sent"

    return calls, write


def test_a_row_released_by_the_sweeper_meanwhile_is_claimed_back_and_recorded() -> None:
    calls, write = _released_once()

    def reclaim() -> bool:
        calls.append("claim")
        return True

    assert record_sent(ROW, write, reclaim=reclaim) == "sent"
    assert calls == ["write", "claim", "write"]


def test_a_released_row_someone_else_claimed_is_not_recorded_twice() -> None:
    calls, write = _released_once()
    with pytest.raises(IllegalTransition):
        record_sent(ROW, write, reclaim=lambda: False)
    with pytest.raises(IllegalTransition):  # without a reclaim hook: raised as before
        record_sent(ROW, _released_once()[1])
    assert calls == ["write"]
