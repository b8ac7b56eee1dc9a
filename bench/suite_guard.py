"""Keep the suite's service benchmarks from running on top of someone else's (same cores, same database).

``bench_service_ack.py`` / ``bench_service_pipeline.py`` wipe ``truffles_bench`` and Redis DB 6 when
they start, so two runs at once break each other (a dropped schema mid-run) and, on 2 cores, measure
each other. The suite waits until no foreign run is going on, watches while its own runs, and runs a
section again when another one started in the middle of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MARK = "bench_service_"


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _ours(pid: int) -> bool:
    """``pid`` is this process or one of its descendants."""
    me = os.getpid()
    for _ in range(64):
        if pid == me:
            return True
        if pid <= 1:
            return False
        pid = _parent(pid)
    return False


def foreign_runs() -> str:
    """Service benchmarks that are not ours (the script or module among a process's first arguments)."""
    found = subprocess.run(["pgrep", "-f", MARK], capture_output=True, text=True, check=False)
    busy = []
    for raw in found.stdout.split():
        pid = int(raw)
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(MARK in a for a in args[:4]) and not _ours(pid):
            busy.append(f"{pid} {' '.join(args)[:160]}")
    return "\n".join(busy)


def wait_for_quiet(limit: float) -> str | None:
    """Wait up to ``limit`` seconds for no foreign run; what still runs then (None: quiet)."""
    deadline = time.monotonic() + limit
    while (busy := foreign_runs()) and time.monotonic() < deadline:
        print(f"suite: another service benchmark is running, waiting:\n{busy}", file=sys.stderr, flush=True)
        time.sleep(10)
    return foreign_runs() or None


@dataclass(frozen=True)
class Outcome:
    returncode: int | None
    """None: killed at the time limit."""
    stdout: str
    stderr: str
    collided: str
    """A foreign run seen while this one ran (empty: none)."""


def run_bounded(command: list[str], cwd: Path, timeout: float, *, watch: bool) -> Outcome:
    """Run ``command`` with a time limit; with ``watch``, note any foreign service benchmark meanwhile."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    collided = ""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if watch and not collided:
            collided = foreign_runs()
        time.sleep(1.0)
    if proc.poll() is None:
        proc.kill()
        out, err = proc.communicate(timeout=30)
        return Outcome(None, out, err, collided)
    out, err = proc.communicate()
    return Outcome(proc.returncode, out, err, collided)
