"""One contract, two adapters: per-conversation locks in memory and on real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import redis_test_client
from workers.locks import Locks, MemoryLocks, RedisLocks, hold


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def make_locks(request: pytest.FixtureRequest) -> Iterator:
    if request.param == "memory":
        yield lambda tenant: MemoryLocks(tenant)
        return
    client = redis_test_client()
    yield lambda tenant: RedisLocks(client, tenant)
    client.flushdb()


def test_a_held_lock_refuses_a_second_holder_until_released(make_locks) -> None:
    locks: Locks = make_locks("acme")
    token = locks.acquire("conv-1", 30)
    assert token is not None
    assert locks.acquire("conv-1", 30) is None
    assert locks.acquire("conv-2", 30) is not None
    locks.release("conv-1", "not-the-token")
    assert locks.acquire("conv-1", 30) is None
    locks.release("conv-1", token)
    assert locks.acquire("conv-1", 30) is not None


def test_hold_releases_on_exit_even_after_an_error(make_locks) -> None:
    locks: Locks = make_locks("acme")
    with pytest.raises(RuntimeError), hold(locks, "conv-1", 30) as got:
        assert got
        raise RuntimeError("boom")
    with hold(locks, "conv-1", 30) as again:
        assert again


def test_the_other_tenants_lock_is_invisible(make_locks) -> None:
    ours, decoy = make_locks("acme"), make_locks("decoy")
    assert decoy.acquire("conv-1", 30) is not None
    assert ours.acquire("conv-1", 30) is not None


def test_an_expired_memory_lock_can_be_taken_by_someone_else() -> None:
    clock = FakeClock()
    locks = MemoryLocks("acme", clock=clock)
    first = locks.acquire("conv-1", 5)
    clock.now += 6
    second = locks.acquire("conv-1", 5)
    assert first and second and first != second
    locks.release("conv-1", first)  # the late first holder cannot release the new one
    assert locks.acquire("conv-1", 5) is None
