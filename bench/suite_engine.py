"""Engine sections of the suite: ``decide()`` per stage mix, full battery wall time, calibration sweep.

Stage mix: every user message of both demo packs' batteries, replayed as conversations (booking and
context state are real) with the pack's knowledge indexed in an in-memory Qdrant (the long tail goes
through retrieval, as in the service with knowledge synced). Each decision is grouped by the stage
that finished the turn (the last trace entry that is not ``pass``, ignoring the mute/quiet-hours
post-processing).

    uv run python -m bench.suite_engine [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.suite_machine import ROOT, ms, pct, summary, table
from config.compile.compiled import CompiledPack
from engine import ConversationState, Decision, decide
from engine.retrieval import Retriever

PACKS = ("demo_salon", "auto_service")
GROUPS = (
    "LAW",
    "gate",
    "shield / opt-out / human request",
    "intent → answer",
    "booking",
    "OOD / clarify",
    "retrieval",
)
_POST_STAGES = {"mute", "quiet_hours", "normalise"}


def stage_group(d: Decision) -> str:
    """Which stage finished the turn, as one of :data:`GROUPS`."""
    done = [e for e in d.trace if e.decision != "pass" and e.stage not in _POST_STAGES]
    if not done:
        return "OOD / clarify"  # no stage answered: the pipeline's clarify fallback
    last = done[-1]
    if last.stage == "law":
        return "LAW"
    if last.stage == "gates":
        return "gate"
    if last.stage in ("shield", "opt_out", "human_request"):
        return "shield / opt-out / human request"
    if last.stage == "retrieval":
        return "retrieval"
    if last.stage == "booking" or (last.stage == "intent" and last.decision == "booking"):
        return "booking"
    if last.stage == "intent" and last.decision in ("off_topic", "clarify", "escalate", "bare_question"):
        return "OOD / clarify"
    return "intent → answer"


def in_memory_retriever(pack: CompiledPack) -> Retriever:
    from retrieval import PackRetriever, open_qdrant, sync_pack, tenant_store

    store = tenant_store(open_qdrant(":memory:"), pack.tenant_id)
    sync_pack(pack, store)
    return PackRetriever(pack, store)


def _conversations(pack: CompiledPack) -> list[list[str]]:
    return [[t.user for t in c.user_turns()] for cs in pack.source.batteries.values() for c in cs]


def stage_mix(packs: list[CompiledPack], rounds: int) -> str:
    samples: dict[str, list[float]] = defaultdict(list)
    for pack in packs:
        retriever = in_memory_retriever(pack)
        start = datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo(pack.source.tenant.timezone))
        conversations = _conversations(pack)
        for conv in conversations[:30]:  # warm the lemma cache as a running worker has it
            state = ConversationState()
            for text in conv:
                state = decide(pack, state, text, start, retriever=retriever).state
        for _ in range(rounds):
            for conv in conversations:
                state = ConversationState()
                for i, text in enumerate(conv):
                    t0 = time.perf_counter()
                    d = decide(pack, state, text, start + timedelta(seconds=40 * i), retriever=retriever)
                    took = time.perf_counter() - t0
                    state = d.state
                    samples[stage_group(d)].append(took)
                    samples["all"].append(took)
    rows = []
    for group in (*GROUPS, "all"):
        got = samples.get(group, [])
        if not got:
            rows.append((group, 0, "–", "–", "–", "–"))
            continue
        rows.append(
            (
                f"**{group}**" if group == "all" else group,
                len(got),
                ms(statistics.median(got)),
                ms(pct(got, 99)),
                ms(max(got)),
                f"{len(got) / sum(got):.0f}",
            )
        )
    head = (
        f"{len(samples['all'])} decisions: every battery message of {', '.join(p.tenant_id for p in packs)} "
        f"replayed as conversations, {rounds} round(s), one thread, lexical matcher, knowledge in an "
        "in-memory Qdrant. Throughput = decisions per second of pure `decide()` time on one core."
    )
    header = ("finished by", "decisions", "p50 ms", "p99 ms", "max ms", "decisions/s")
    every = samples["all"]
    line = summary(
        decide_p50_ms=round(statistics.median(every) * 1000, 2),
        decide_p99_ms=round(pct(every, 99) * 1000, 2),
        decisions_per_s=round(len(every) / sum(every)),
    )
    return head + "\n\n" + table(header, rows) + "\n" + line


def _timed(cmd: list[str], runs: int, timeout: float) -> tuple[float, float, str]:
    times: list[float] = []
    out = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
        times.append(time.perf_counter() - t0)
        out = proc.stdout + proc.stderr
    return statistics.median(times), min(times), out


def _summary(out: str, *needles: str) -> str:
    lines = [line.strip() for line in out.splitlines() if any(n in line for n in needles)]
    return "; ".join(lines[:2]).replace("|", "/")


def battery_and_calibration(runs: int, timeout: float) -> str:
    truffles = [sys.executable, "-m", "cli.main"]
    jobs: list[tuple[str, list[str], tuple[str, ...]]] = [
        (
            f"`truffles eval packs/{name}` (every battery, long tail through retrieval)",
            [*truffles, "eval", f"packs/{name}", "--no-trace"],
            ("cases passed", "all "),
        )
        for name in PACKS
    ]
    jobs.append(
        (
            "`truffles calibrate packs/demo_salon` (threshold sweep from one scoring pass)",
            [*truffles, "calibrate", "packs/demo_salon", "--top", "1"],
            ("swept in",),
        )
    )
    rows = []
    walls: dict[str, float] = {}
    for label, cmd, needles in jobs:
        median, best, out = _timed(cmd, runs, timeout)
        walls[cmd[3] + "_" + cmd[4].split("/")[-1] + "_s"] = round(median, 2)
        rows.append((label, f"{median:.2f}", f"{best:.2f}", _summary(out, *needles)))
    head = f"Fresh process each run (start-up, pack compile, morphology dictionary included), {runs} run(s)."
    body = table(("run", "median s", "best s", "its own summary line"), rows)
    return head + "\n\n" + body + "\n" + slider_moves() + "\n" + summary(**walls)


def slider_moves(cases: int = 400, moves: int = 50) -> str:
    """The dashboard's calibration slider: one re-score of a cached pass of ``cases`` cases."""
    from bench.bench_slider import cases_of, per_move_ms

    cset = cases_of(str(ROOT / "packs" / "demo_salon"), cases)
    times = sorted(per_move_ms(cset, moves))
    median = statistics.median(times)
    return (
        f"Calibration slider (`bench/bench_slider.py`): one move re-scores {len(cset.case_turns)} cached "
        f"cases in {median:.2f} ms (median of {moves}, max {times[-1]:.2f} ms).\n"
        + summary(slider_move_ms=round(median, 2))
    )


def main() -> None:
    from cli.packs import load_compiled

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--section", choices=("all", "stages", "battery"), default="all")
    args = parser.parse_args()
    if args.section in ("all", "stages"):
        packs = [load_compiled(str(ROOT / "packs" / name)) for name in PACKS]
        print(stage_mix(packs, args.rounds))
    if args.section in ("all", "battery"):
        print(battery_and_calibration(args.runs, 600))


if __name__ == "__main__":
    main()
