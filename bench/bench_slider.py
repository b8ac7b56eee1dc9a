"""Dashboard calibration slider: time to re-score a cached battery pass for one slider move.

The Calibration page scores every battery turn once (``evals.calibration.collect``) and re-scores the
cached pass for each slider position (``evaluate``). This measures one move over ``--cases`` cases
(the pack's batteries, repeated with new ids up to that count), over a sweep of intent thresholds.

    uv run python bench/bench_slider.py [--pack packs/demo_salon] [--cases 400] [--moves 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cli.packs import load_compiled  # noqa: E402
from evals.calibration import CalibrationSet, Setting, collect, evaluate  # noqa: E402


def cases_of(pack_dir: str, count: int) -> CalibrationSet:
    """The pack's battery cases, repeated with fresh ids up to ``count``, collected once."""
    pack = load_compiled(pack_dir)
    base = [c for cases in pack.source.batteries.values() for c in cases]
    cases = [("bench", c) for c in base]
    n = 0
    while len(cases) < count:
        cases.append(("bench", msgspec.structs.replace(base[n % len(base)], id=f"dup-{n}")))
        n += 1
    return collect(pack, cases)


def per_move_ms(cset: CalibrationSet, moves: int) -> list[float]:
    """Wall time of each of ``moves`` slider moves (intent 0.30 … 0.70), in milliseconds."""
    times = []
    for step in range(moves):
        setting = Setting(intent=0.30 + 0.40 * step / max(moves - 1, 1), ood=0.5, ambiguity_margin=0.03)
        started = time.perf_counter()
        evaluate(cset, setting)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", default=str(ROOT / "packs" / "demo_salon"))
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--moves", type=int, default=50)
    args = parser.parse_args()
    from bench.machine import describe

    started = time.perf_counter()
    cset = cases_of(args.pack, args.cases)
    collect_s = time.perf_counter() - started
    times = sorted(per_move_ms(cset, args.moves))
    print(describe())
    print(
        f"{len(cset.case_turns)} cases, one scoring pass {collect_s:.2f} s; one slider move: "
        f"median {statistics.median(times):.2f} ms, max {times[-1]:.2f} ms over {args.moves} moves"
    )


if __name__ == "__main__":
    main()
