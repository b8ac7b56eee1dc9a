"""One contract, two adapters: the webhook admission (dedup mark + rate limits) in memory and on Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from api.admission import Admission, MemoryAdmission, RedisAdmission
from api.dedup import MemoryDedup
from api.ratelimit import MemoryRateLimiter
from config.settings import RateLimit
from tests.e2e.harness import redis_test_client

ADAPTERS = ["memory", pytest.param("redis", marks=pytest.mark.integration)]
ROOMY = RateLimit(burst=100, per_second=0.001)
ONE = RateLimit(burst=1, per_second=0.001)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


MakeAdmission = Callable[[str], Admission]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=ADAPTERS)
def make_admission(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[MakeAdmission]:
    if request.param == "memory":
        yield lambda tenant: MemoryAdmission(
            MemoryDedup(tenant, ttl_seconds=60), MemoryRateLimiter(tenant, clock=clock)
        )
        return
    client = redis_test_client()
    yield lambda tenant: RedisAdmission(client, tenant, ttl_seconds=60, clock=clock)
    client.flushdb()


def test_first_delivery_is_new_and_a_redelivery_is_in_flight_until_the_database_confirms(
    make_admission: MakeAdmission,
) -> None:
    admission = make_admission("acme")
    assert admission.admit("m1", [("text:c1", ROOMY)]).seen == "new"
    again = admission.admit("m1", [("text:c1", ROOMY)])
    assert (again.seen, again.allowed) == ("in_flight", True)  # falls through to the database
    admission.duplicate_confirmed("m1")
    assert admission.admit("m1", [("text:c1", ROOMY)]).seen == "stored"


def test_a_redelivery_never_spends_the_customers_tokens(make_admission: MakeAdmission) -> None:
    admission = make_admission("acme")
    assert admission.admit("m1", [("text:c1", ONE)]).allowed is True
    assert admission.admit("m1", [("text:c1", ONE)]).allowed is True  # the same message again
    refused = admission.admit("m2", [("text:c1", ONE)])
    assert (refused.seen, refused.allowed) == ("new", False)  # a new message finds the bucket empty


def test_over_the_tenant_limit_the_customers_token_is_not_taken(
    make_admission: MakeAdmission, clock: FakeClock
) -> None:
    admission = make_admission("acme")
    customer = RateLimit(burst=2, per_second=0.001)
    assert admission.admit("m1", [("text:c1", customer), ("text", ONE)]).allowed is True
    assert admission.admit("m2", [("text:c1", customer), ("text", ONE)]).allowed is False
    # Only the tenant bucket was empty: the customer still has one token for another bucket mix.
    assert admission.admit("m3", [("text:c1", customer)]).allowed is True
    assert admission.admit("m4", [("text:c1", customer)]).allowed is False
    clock.now += 2000.0  # both refill
    assert admission.admit("m5", [("text:c1", customer), ("text", ONE)]).allowed is True


def test_buckets_allow_their_burst_then_refill_at_their_rate(
    make_admission: MakeAdmission, clock: FakeClock
) -> None:
    admission = make_admission("acme")
    limit = RateLimit(burst=3, per_second=0.5)
    ids = iter(f"m{n}" for n in range(100))
    assert [admission.admit(next(ids), [("text:c1", limit)]).allowed for _ in range(4)] == [
        *(True, True, True),
        False,
    ]
    clock.now += 1.0  # half a token
    assert admission.admit(next(ids), [("text:c1", limit)]).allowed is False
    clock.now += 1.0  # one whole token
    assert admission.admit(next(ids), [("text:c1", limit)]).allowed is True
    clock.now += 100.0  # never more than the burst
    assert [admission.admit(next(ids), [("text:c1", limit)]).allowed for _ in range(4)] == [
        *(True, True, True),
        False,
    ]


def test_abort_forgets_the_mark_but_never_a_confirmed_one(make_admission: MakeAdmission) -> None:
    admission = make_admission("acme")
    assert admission.admit("m1", []).seen == "new"
    admission.abort("m1")
    assert admission.admit("m1", []).seen == "new"
    admission.duplicate_confirmed("m1")
    admission.abort("m1")
    assert admission.admit("m1", []).seen == "stored"


def test_marks_and_buckets_of_another_tenant_are_invisible(make_admission: MakeAdmission) -> None:
    ours, decoy = make_admission("acme"), make_admission("decoy")
    assert decoy.admit("m1", [("text:c1", ONE)]).allowed is True
    decoy.duplicate_confirmed("m1")
    mine = ours.admit("m1", [("text:c1", ONE)])
    assert (mine.seen, mine.allowed) == ("new", True)


def test_with_redis_down_everything_is_admitted_and_the_database_decides() -> None:
    import redis

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    admission = RedisAdmission(dead, "acme", ttl_seconds=60)
    admitted = admission.admit("m1", [("text:c1", ONE)])
    assert (admitted.seen, admitted.allowed) == ("unknown", True)
    admission.duplicate_confirmed("m1")  # logged, not raised
    admission.abort("m1")
