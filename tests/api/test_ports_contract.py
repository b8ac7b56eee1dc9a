"""The in-memory dedup cache and rate limiter (the Redis side of both is api.admission: test_admission)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.dedup import DedupCache, MemoryDedup
from api.ratelimit import MemoryRateLimiter, RateLimiter
from config.settings import RateLimit

ADAPTERS = ["memory"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=ADAPTERS)
def make_dedup(request: pytest.FixtureRequest) -> Iterator:
    if request.param == "memory":
        yield lambda tenant: MemoryDedup(tenant, ttl_seconds=60)


@pytest.fixture(params=ADAPTERS)
def make_limiter(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator:
    if request.param == "memory":
        yield lambda tenant: MemoryRateLimiter(tenant, clock=clock)


def test_dedup_sees_a_message_new_then_in_flight_then_stored(make_dedup) -> None:
    dedup: DedupCache = make_dedup("acme")
    assert dedup.begin("m1") == "new"
    assert dedup.begin("m1") == "in_flight"
    dedup.stored("m1")
    assert dedup.begin("m1") == "stored"


def test_dedup_abort_lets_the_providers_retry_through(make_dedup) -> None:
    dedup: DedupCache = make_dedup("acme")
    assert dedup.begin("m1") == "new"
    dedup.abort("m1")
    assert dedup.begin("m1") == "new"
    dedup.stored("m1")
    dedup.abort("m1")  # a stored mark is never aborted
    assert dedup.begin("m1") == "stored"


def test_dedup_of_another_tenant_is_invisible(make_dedup) -> None:
    ours, decoy = make_dedup("acme"), make_dedup("decoy")
    decoy.begin("m1")
    decoy.stored("m1")
    assert ours.begin("m1") == "new"


def test_a_bucket_allows_its_burst_then_refills_at_its_rate(make_limiter, clock: FakeClock) -> None:
    limiter: RateLimiter = make_limiter("acme")
    limit = RateLimit(burst=3, per_second=0.5)
    assert [limiter.allow("text:c1", limit) for _ in range(4)] == [True, True, True, False]
    clock.now += 1.0  # half a token
    assert limiter.allow("text:c1", limit) is False
    clock.now += 1.0  # one whole token
    assert limiter.allow("text:c1", limit) is True
    assert limiter.allow("text:c1", limit) is False
    clock.now += 100.0  # never more than the burst
    assert [limiter.allow("text:c1", limit) for _ in range(4)] == [True, True, True, False]


def test_buckets_are_separate_per_key_and_per_tenant(make_limiter) -> None:
    ours, decoy = make_limiter("acme"), make_limiter("decoy")
    limit = RateLimit(burst=1, per_second=0.001)
    assert ours.allow("text:c1", limit) is True
    assert ours.allow("text:c1", limit) is False
    assert ours.allow("media:c1", limit) is True  # text and media are limited separately
    assert ours.allow("text:c2", limit) is True
    assert decoy.allow("text:c1", limit) is True


def test_all_or_nothing_takes_no_token_when_one_bucket_is_empty(make_limiter) -> None:
    limiter: RateLimiter = make_limiter("acme")
    roomy, tight = RateLimit(burst=5, per_second=0.001), RateLimit(burst=1, per_second=0.001)
    assert limiter.allow_all([("text:c1", roomy), ("text", tight)]) is True
    assert limiter.allow_all([("text:c1", roomy), ("text", tight)]) is False  # the tenant bucket is empty
    # The customer's bucket kept its tokens: 4 left after the one successful take.
    assert [limiter.allow("text:c1", roomy) for _ in range(5)] == [True, True, True, True, False]
