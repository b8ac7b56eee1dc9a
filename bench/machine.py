"""The machine description every benchmark prints with its numbers."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

__all__ = ["cpu_model", "cpu_speed", "describe"]

SPEED_PROBE_ITEMS = 10_000_000


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (the processor string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_speed() -> float:
    """Millions of ``sum(range(n))`` items per CPU second: the same model name can run ~1.5x slower.

    This machine is a VM whose host throttles it after sustained load; the probe was 52 at the
    start of a session and 36 an hour of benchmarks later. Compare runs only at similar speeds.
    """
    started = time.process_time()
    sum(range(SPEED_PROBE_ITEMS))
    return SPEED_PROBE_ITEMS / 1e6 / max(time.process_time() - started, 1e-9)


def describe() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, CPU speed probe {cpu_speed():.0f} M items/s, "
        f"Python {platform.python_version()}, load avg {load:.2f}; command: {' '.join(sys.argv)}"
    )
