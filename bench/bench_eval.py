"""Wall time of a full battery run, start-up included, as an analyst or CI runs it.

Runs ``truffles eval`` in a fresh process N times (default 5) over the demo pack's own batteries
plus the business's reference battery when it is present (~500 cases), and the calibration sweep.
Run: ``uv run python bench/bench_eval.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "mira_eval_dev.yaml"


def _timed(cmd: list[str], runs: int) -> tuple[float, float, str]:
    times = []
    out = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t0)
        out = proc.stdout
    return statistics.median(times), min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    truffles = [sys.executable, "-m", "cli.main"]
    print(describe())
    own = [
        str(p)
        for p in sorted((ROOT / "packs/demo_salon/batteries").glob("*.yaml"))
        if "longtail" not in p.name
    ]
    combined = [a for f in own + ([str(REFERENCE)] if REFERENCE.exists() else []) for a in ("--battery", f)]
    runs = [
        (
            "demo_salon own batteries, all tiers (long tail through retrieval)",
            [*truffles, "eval", "packs/demo_salon", "--no-trace"],
        ),
        (
            "demo_salon rule-layer batteries + reference battery, default matcher",
            [*truffles, "eval", "packs/demo_salon", *combined, "--retrieval", "off", "--no-trace"],
        ),
    ]
    if REFERENCE.exists():
        runs.append(
            (
                "business reference battery",
                [*truffles, "eval", "packs/demo_salon", "--battery", str(REFERENCE), "--no-trace"],
            )
        )
    runs.append(("calibration sweep", [*truffles, "calibrate", "packs/demo_salon", "--top", "1"]))
    for label, cmd in runs:
        median, best, out = _timed(cmd, args.runs)
        summary = next(
            (line for line in out.splitlines() if "cases passed" in line or "swept in" in line), ""
        )
        print(f"{label}: median {median:.2f} s, best {best:.2f} s wall (fresh process) — {summary.strip()}")


if __name__ == "__main__":
    main()
