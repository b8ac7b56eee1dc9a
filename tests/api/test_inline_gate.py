"""InlineGate: ingests leave the event loop for worker threads while a store is slow or failing."""

from __future__ import annotations

import pytest

from api.inline_gate import InlineGate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fast_ingests_keep_running_inline() -> None:
    gate = InlineGate(clock=Clock())
    for _ in range(100):
        assert gate.inline()
        gate.record(0.002, failed=False, inline=True)


def test_a_slow_ingest_sends_the_next_ones_to_threads_until_the_cool_off_ends() -> None:
    clock = Clock()
    gate = InlineGate(slow_seconds=0.05, cool_off_seconds=5.0, clock=clock)
    gate.record(0.051, failed=False, inline=True)
    assert not gate.inline()
    clock.now += 4.9
    gate.record(0.001, failed=False, inline=True)  # a fast one on a thread does not end the cool-off early
    assert not gate.inline()
    clock.now += 0.2
    assert gate.inline()


def test_a_slow_ingest_on_a_thread_does_not_count_its_gil_waits_are_load_not_the_stores() -> None:
    gate = InlineGate(clock=Clock())
    gate.record(2.0, failed=False, inline=False)
    assert gate.inline()
    gate.record(0.001, failed=True, inline=False)  # a failure on a thread does
    assert not gate.inline()


def test_a_failed_ingest_counts_however_fast_it_failed() -> None:
    clock = Clock()
    gate = InlineGate(clock=clock)
    gate.record(0.0001, failed=True, inline=True)
    assert not gate.inline()


def test_trouble_during_the_cool_off_extends_it() -> None:
    clock = Clock()
    gate = InlineGate(cool_off_seconds=5.0, clock=clock)
    gate.record(1.0, failed=True, inline=True)
    clock.now += 4.0
    gate.record(1.0, failed=True, inline=True)
    clock.now += 4.0
    assert not gate.inline()
    clock.now += 1.1
    assert gate.inline()


def test_a_disabled_gate_never_runs_inline() -> None:
    assert not InlineGate(enabled=False).inline()


@pytest.mark.parametrize(("slow", "cool"), [(0.0, 5.0), (-1.0, 5.0), (0.05, -1.0)])
def test_bad_settings_are_refused_naming_the_values(slow: float, cool: float) -> None:
    with pytest.raises(ValueError, match=f"slow_seconds={slow}"):
        InlineGate(slow_seconds=slow, cool_off_seconds=cool)
