"""Stored battery runs: one small JSON file per run under ``<runs root>/<tenant>/``.

A run keeps the scores and each case's pass/fail (not the traces), so trends and "what newly
fails" can be shown against earlier runs of the same selection of batteries and tiers.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from evals.metrics import Scores
from evals.runner import CaseResult

__all__ = ["load_runs", "newly_failing", "run_record", "save_run", "selection_key", "trend_frame"]

MAX_RUNS_SHOWN = 50


def selection_key(batteries: tuple[str, ...], tiers: tuple[str, ...]) -> str:
    """Runs are comparable only over the same batteries and tiers ("*" = all)."""
    return f"{','.join(sorted(batteries)) or '*'}|{','.join(sorted(tiers)) or '*'}"


def run_record(
    *,
    tenant: str,
    pack_version: str,
    batteries: tuple[str, ...],
    tiers: tuple[str, ...],
    results: list[CaseResult],
    scores: Scores,
    when: datetime,
) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "when": when.isoformat(timespec="seconds"),
        "pack_version": pack_version,
        "selection": selection_key(batteries, tiers),
        "metrics": dict(scores.metrics),
        "counts": dict(scores.counts),
        "cases": {r.id: r.passed for r in results},
    }


def save_run(root: Path, record: dict[str, Any]) -> Path:
    """Write the run as ``<root>/<tenant>/<when>.json``; returns the path."""
    folder = root / str(record["tenant"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = str(record["when"]).replace(":", "").replace("-", "").replace("+", "_")
    name = f"{stamp}-{str(record['pack_version'])[:8]}"
    path = folder / f"{name}.json"
    n = 1
    while path.exists():  # two runs in the same second
        n += 1
        path = folder / f"{name}-{n}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def load_runs(root: Path, tenant: str, selection: str | None = None) -> list[dict[str, Any]]:
    """Earlier runs of ``tenant`` (only of ``selection`` when given), oldest first; unreadable
    files are skipped."""
    folder = root / tenant
    runs = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and (selection is None or record.get("selection") == selection):
            runs.append(record)
    runs.sort(key=lambda r: str(r.get("when", "")))
    return runs[-MAX_RUNS_SHOWN:]


def trend_frame(runs: list[dict[str, Any]], metrics: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Long table (when, metric, value) of pass rates over runs; every metric unless ``metrics``."""
    rows = [
        {"when": pd.Timestamp(run["when"]), "metric": name, "value": float(value)}
        for run in runs
        for name, value in dict(run.get("metrics", {})).items()
        if metrics is None or name in metrics
    ]
    return pd.DataFrame(rows, columns=["when", "metric", "value"])


def newly_failing(previous: dict[str, Any] | None, results: list[CaseResult]) -> list[str]:
    """Cases that passed in ``previous`` and fail now."""
    if previous is None:
        return []
    before = {k for k, v in dict(previous.get("cases", {})).items() if v}
    return [r.id for r in results if r.id in before and not r.passed]
