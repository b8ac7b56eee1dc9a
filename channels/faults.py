"""Fault injection shared by the local emulators.

A client posts a :class:`FaultSpec` to ``POST /_emulator/faults``; the emulator asks
:meth:`FaultInjector.next_fault` before handling each provider call. Specs:

- ``{"mode": "500", "count": 3}`` — the next 3 calls answer HTTP 500 (any status 400–599 works).
- ``{"mode": "429", "retry_after": 1, "count": 2}`` — rate limited, with a Retry-After of 1 s.
- ``{"mode": "timeout", "seconds": 5}`` — hold the call 5 s (or until the client gives up), then
  answer 504 *without* delivering.
- ``{"mode": "slow", "seconds": 0.2}`` — wait, then deliver normally (a client that timed out
  meanwhile will retry: this is how a real provider produces duplicates).
- ``{"error_rate": 0.1, "seed": 1}`` — every call fails with ``mode`` (default 500) with that
  probability, reproducibly, until reset or ``{"error_rate": 0}``.

``endpoint`` restricts a spec to one provider call (``"send-image"``, ``"sendMessage"``).
Counted specs queue up and are used in the order they were posted.
"""

from __future__ import annotations

import random
from typing import Annotated

import msgspec

__all__ = ["Fault", "FaultInjector", "FaultSpec", "parse_fault_spec"]

Seconds = Annotated[float, msgspec.Meta(ge=0, le=600)]


class FaultSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One fault-injection request, as posted to ``/_emulator/faults``."""

    mode: str = "500"
    count: Annotated[int, msgspec.Meta(ge=1)] = 1
    retry_after: Seconds | None = None
    seconds: Seconds = 0.0
    error_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    seed: int | None = None
    endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.mode in ("timeout", "slow"):
            return
        if not (self.mode.isdigit() and 400 <= int(self.mode) <= 599):
            raise ValueError(f"mode {self.mode!r} is not one of: an HTTP status 400–599, 'timeout', 'slow'")


class Fault(msgspec.Struct, frozen=True, kw_only=True):
    """What the emulator must do to the current call.

    ``status`` is None for ``slow`` (deliver after ``delay``); ``timeout`` holds ``delay`` then 504.
    """

    mode: str
    status: int | None
    delay: float = 0.0
    retry_after: float | None = None


def parse_fault_spec(data: bytes) -> FaultSpec:
    """Decode a posted spec. Raises ``ValueError`` with msgspec's path on a bad spec."""
    try:
        return msgspec.json.decode(data, type=FaultSpec)
    except msgspec.ValidationError as exc:
        raise ValueError(f"bad fault spec: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ValueError(f"fault spec is not JSON: {exc}") from exc


class FaultInjector:
    """Holds the pending faults of one emulator. Not thread-safe: one event loop owns it."""

    def __init__(self) -> None:
        self._queue: list[tuple[FaultSpec, int]] = []
        self._rate: FaultSpec | None = None
        self._random = random.Random()

    def add(self, spec: FaultSpec) -> None:
        """Queue a counted fault, or set (``error_rate`` > 0) / clear (0) the random fault rate."""
        if spec.error_rate is None:
            self._queue.append((spec, spec.count))
        elif spec.error_rate == 0:
            self._rate = None
        else:
            self._rate = spec
            self._random = random.Random(spec.seed)

    def reset(self) -> None:
        """Forget every pending fault."""
        self._queue.clear()
        self._rate = None

    def pending(self) -> list[dict[str, object]]:
        """The queued faults with their remaining counts, for ``GET /_emulator/faults``."""
        items: list[dict[str, object]] = [
            {**msgspec.structs.asdict(spec), "remaining": left} for spec, left in self._queue
        ]
        if self._rate is not None:
            items.append({**msgspec.structs.asdict(self._rate), "remaining": None})
        return items

    def next_fault(self, endpoint: str) -> Fault | None:
        """The fault to apply to a call of ``endpoint`` (consuming one count), or None."""
        for index, (spec, left) in enumerate(self._queue):
            if spec.endpoint not in (None, endpoint):
                continue
            if left <= 1:
                del self._queue[index]
            else:
                self._queue[index] = (spec, left - 1)
            return _fault_of(spec)
        rate = self._rate
        if (
            rate is not None
            and rate.endpoint in (None, endpoint)
            and self._random.random() < (rate.error_rate or 0)
        ):
            return _fault_of(rate)
        return None


def _fault_of(spec: FaultSpec) -> Fault:
    if spec.mode == "slow":
        return Fault(mode="slow", status=None, delay=spec.seconds)
    if spec.mode == "timeout":
        return Fault(mode="timeout", status=504, delay=spec.seconds)
    retry_after = spec.retry_after if spec.mode == "429" else None
    return Fault(mode=spec.mode, status=int(spec.mode), retry_after=retry_after)
