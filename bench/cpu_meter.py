"""CPU seconds spent by the processes of a benchmark, read from ``/proc`` (Linux).

Throughput on a shared 2-core machine depends on whatever else runs; CPU time per message does
much less. :class:`CpuMeter` snapshots ``utime + stime`` of named process groups (this process,
the emulator, every PostgreSQL backend, Redis) before and after a phase, so a benchmark can report
"CPU ms per message" per component beside its wall-clock throughput.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["CpuMeter", "pids_named", "process_tree"]

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def pids_named(*names: str) -> list[int]:
    """Pids whose executable name (``/proc/<pid>/comm``) is one of ``names``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant of it (e.g. uvicorn's worker processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


class CpuMeter:
    """``groups`` maps a label to a function listing that group's pids (evaluated at each snapshot).

    A pid that exits between snapshots loses its CPU time: measure long-lived processes.
    """

    def __init__(self, groups: Mapping[str, Callable[[], list[int]]]) -> None:
        self._groups = dict(groups)
        self._start: dict[str, dict[int, float]] = {}

    def start(self) -> None:
        self._start = {label: {p: _cpu_seconds(p) for p in pids()} for label, pids in self._groups.items()}

    def stop(self) -> dict[str, float]:
        """CPU seconds per group since :meth:`start` (new pids count from zero)."""
        spent = {}
        for label, pids in self._groups.items():
            before = self._start.get(label, {})
            spent[label] = sum(_cpu_seconds(p) - before.get(p, 0.0) for p in pids())
        return spent

    @staticmethod
    def per_item(spent: Mapping[str, float], items: int) -> str:
        """``label 1.23`` CPU ms per item for each group, and the total."""
        parts = [f"{label} {seconds / items * 1000:.2f}" for label, seconds in spent.items()]
        total = sum(spent.values()) / items * 1000
        return f"CPU ms per message: {', '.join(parts)}; total {total:.2f}"
