from __future__ import annotations

import pytest

from channels.faults import Fault, FaultInjector, FaultSpec, parse_fault_spec


def test_counted_faults_are_used_in_order() -> None:
    faults = FaultInjector()
    faults.add(FaultSpec(mode="500", count=2))
    faults.add(FaultSpec(mode="429", retry_after=2))
    got = [faults.next_fault("send-text") for _ in range(4)]
    assert got == [
        Fault(mode="500", status=500),
        Fault(mode="500", status=500),
        Fault(mode="429", status=429, retry_after=2),
        None,
    ]


def test_timeout_and_slow() -> None:
    faults = FaultInjector()
    faults.add(parse_fault_spec(b'{"mode": "timeout", "seconds": 5}'))
    faults.add(parse_fault_spec(b'{"mode": "slow", "seconds": 0.2}'))
    assert faults.next_fault("x") == Fault(mode="timeout", status=504, delay=5)
    assert faults.next_fault("x") == Fault(mode="slow", status=None, delay=0.2)


def test_endpoint_filter_skips_other_endpoints_without_consuming() -> None:
    faults = FaultInjector()
    faults.add(FaultSpec(mode="500", endpoint="sendMessage"))
    assert faults.next_fault("createForumTopic") is None
    assert faults.pending()[0]["remaining"] == 1
    assert faults.next_fault("sendMessage") is not None
    assert faults.pending() == []


def test_error_rate_bounds() -> None:
    always, never = FaultInjector(), FaultInjector()
    always.add(FaultSpec(error_rate=1, mode="502"))
    never.add(FaultSpec(error_rate=1e-9, seed=3))
    assert all(always.next_fault("x") == Fault(mode="502", status=502) for _ in range(20))
    assert all(never.next_fault("x") is None for _ in range(20))


@pytest.mark.parametrize("data", [b"{", b'{"mode": "399"}', b'{"seconds": -1}', b'{"mode": 500}'])
def test_bad_specs_raise_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="fault spec"):
        parse_fault_spec(data)
