"""The machine description every benchmark prints with its numbers."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

__all__ = ["cpu_model", "describe"]


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (the processor string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, load avg {load:.2f}; "
        f"command: {' '.join(sys.argv)}"
    )
