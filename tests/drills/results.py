"""Drill results: one record per drill, merged into ``var/drills/results.json`` as the drills run.

``TRUFFLES_DRILL_RESULTS`` moves the file. Render it with ``uv run python -m tests.drills.report``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["DrillRecord", "load_results", "results_path", "write_record"]

REPO = Path(__file__).resolve().parents[2]


class DrillRecord(msgspec.Struct, kw_only=True):
    """What one drill measured. ``recovery_seconds``: fault cleared → backlog drained."""

    drill: str
    fault: str
    passed: bool = False
    recovery_seconds: float | None = None
    customers: int = 0
    inbound_accepted: int = 0
    inbound_lost: int = 0
    webhook_retries: int = 0
    deliveries: int = 0
    duplicates: int = 0
    handovers: int = 0
    faults_injected: int = 0
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    error: str = ""
    finished_at: str = ""
    load_1m: float = 0.0
    machine: str = ""


def results_path() -> Path:
    return Path(os.environ.get("TRUFFLES_DRILL_RESULTS") or REPO / "var" / "drills" / "results.json")


def load_results(path: Path | None = None) -> dict[str, DrillRecord]:
    found = path or results_path()
    if not found.is_file():
        return {}
    raw = json.loads(found.read_text(encoding="utf-8"))
    return {name: msgspec.convert(item, DrillRecord) for name, item in raw.get("drills", {}).items()}


def write_record(record: DrillRecord, path: Path | None = None) -> Path:
    """Merge ``record`` into the results file (keyed by drill name), creating its folder."""
    target = path or results_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    record.finished_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record.load_1m = round(os.getloadavg()[0], 2)
    record.machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    records = load_results(target)
    records[record.drill] = record
    body = {"drills": {name: msgspec.to_builtins(item) for name, item in sorted(records.items())}}
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target
