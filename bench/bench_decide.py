"""``decide()`` latency (p50/p99) and throughput over a realistic message mix.

The mix is every user message of the pack's own batteries (prices, addresses, LAW topics, gates,
booking steps, off-topic, multi-question), replayed as conversations so booking and context state
are real. Run: ``uv run python bench/bench_decide.py [--pack packs/demo_salon] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe
from cli.packs import load_compiled
from engine import ConversationState, decide


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", default="packs/demo_salon")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pack = load_compiled(args.pack)
    conversations = [[t.user for t in c.user_turns()] for cs in pack.source.batteries.values() for c in cs]
    start = datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo(pack.source.tenant.timezone))
    for conv in conversations[:20]:  # warm the lemma cache as a running service would have it
        state = ConversationState()
        for text in conv:
            state = decide(pack, state, text, start).state
    samples: list[float] = []
    wall = time.perf_counter()
    for _ in range(args.rounds):
        for conv in conversations:
            state = ConversationState()
            for i, text in enumerate(conv):
                t0 = time.perf_counter()
                state = decide(pack, state, text, start + timedelta(seconds=40 * i)).state
                samples.append(time.perf_counter() - t0)
    wall = time.perf_counter() - wall
    samples.sort()
    ms = [s * 1000 for s in samples]
    print(describe())
    print(f"pack {pack.tenant_id} ({pack.version}): {len(samples)} decisions over {args.rounds} rounds")
    print(
        f"decide(): p50 {statistics.median(ms):.2f} ms, p90 {ms[int(len(ms) * 0.9)]:.2f} ms, "
        f"p99 {ms[int(len(ms) * 0.99)]:.2f} ms, max {ms[-1]:.2f} ms; "
        f"throughput {len(samples) / wall:.0f} decisions/s on one core"
    )


if __name__ == "__main__":
    main()
