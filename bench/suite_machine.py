"""The machine and build a benchmark report was measured on, and small Markdown/percentile helpers."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.machine import cpu_model, cpu_speed

ROOT = Path(__file__).resolve().parents[1]



def ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load_avg() -> str:
    """Load average and the CPU speed probe (:func:`bench.machine.cpu_speed`): how busy, how fast."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}; speed probe {cpu_speed():.0f} M items/s"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%h %cI %s"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out[:100] + (" (working tree has uncommitted changes)" if dirty else "")


def describe(pack_versions: dict[str, str], load_before: str, load_after: str, started: datetime) -> str:
    """The machine section of the report, as a Markdown table."""
    rows = [
        ("date", f"{started:%Y-%m-%d %H:%M} UTC → {datetime.now(UTC):%H:%M} UTC"),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("RAM", f"{ram_gib():.1f} GiB"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("load average (1/5/15 min), CPU speed before", load_before),
        ("load average (1/5/15 min), CPU speed after", load_after),
        ("git commit", git_commit()),
        ("packs", ", ".join(f"{k} `{v}`" for k, v in sorted(pack_versions.items()))),
    ]
    return table(("what", "value"), rows)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100); NaN for no values."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] if ordered else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}" if seconds == seconds else "–"


SUMMARY_TAG = "<!-- summary "


def summary(**values: object) -> str:
    """A Markdown-invisible line carrying a section's headline numbers to ``bench.suite``."""
    import json

    return SUMMARY_TAG + json.dumps(values, ensure_ascii=False) + " -->"


def summaries(text: str) -> dict[str, object]:
    """Every :func:`summary` line of ``text``, merged."""
    import json

    found: dict[str, object] = {}
    for line in text.splitlines():
        if line.startswith(SUMMARY_TAG) and line.endswith(" -->"):
            found.update(json.loads(line[len(SUMMARY_TAG) : -4]))
    return found
