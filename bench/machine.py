"""The machine description every benchmark prints with its numbers."""

from __future__ import annotations

import os
import platform
import sys


def describe() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load avg {load:.2f}; "
        f"command: {' '.join(sys.argv)}"
    )
