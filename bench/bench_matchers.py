"""Lexical vs dense vs hybrid intent matching: battery pass rates, intent agreement, latency.

Runs the demo packs' batteries (tiers core, full, long; retrieval off) and the reference battery
``../shared/reference/mira_eval_dev.yaml`` (with ``packs/demo_salon``) through ``run_cases`` with
each matcher: lexical, dense at each ``--floors`` value (the cosine that maps to score 0, see
``encoders.dense``) and hybrids (weighted mean at each ``--weights``, and max). One DenseMatcher
serves every dense configuration, so each message is embedded once. Then ``decide()`` latency
p50/p99 per matcher over the demo salon's battery conversations, every message embedded cold.
Needs the extra: ``uv sync --extra dense``; run ``uv run python bench/bench_matchers.py``.
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
from config.compile.compiled import CompiledPack
from config.loader import load_battery
from config.schema.battery import Case
from encoders.dense import DenseMatcher
from encoders.hybrid import HybridMatcher
from engine import ConversationState, decide
from engine.matcher import LexicalMatcher, Matcher
from evals.metrics import score
from evals.runner import CaseResult, run_cases

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "mira_eval_dev.yaml"
TIERS = ("core", "full", "long")
Suite = tuple[str, CompiledPack, list[tuple[str, Case]], bool]


def suites() -> list[Suite]:
    out: list[Suite] = []
    salon = load_compiled(str(ROOT / "packs/demo_salon"))
    for name, pack in (("salon", salon), ("auto", load_compiled(str(ROOT / "packs/auto_service")))):
        cases = [(b, c) for b, cs in sorted(pack.source.batteries.items()) for c in cs if c.tier in TIERS]
        out.append((name, pack, cases, True))
    if REFERENCE.is_file():
        loaded, _ = load_battery(REFERENCE.read_bytes(), str(REFERENCE))
        out.append(("mira", salon, [(str(REFERENCE), c) for c in loaded], False))
    return out


def intents(results: list[CaseResult]) -> list[str]:
    return [t.intent for r in results for t in r.turns]


def evaluate(label: str, matcher: Matcher, runs: list[Suite], lexical: dict[str, list[str]]) -> str:
    cells: list[str] = []
    agree_hits = agree_total = 0
    for name, pack, cases, strict in runs:
        results = run_cases(cases, pack, strict_intents=strict, matcher=matcher)
        metrics = score(results, [c for _, c in cases], pack).metrics
        tiers = TIERS if strict else ("all",)
        cells += [f"{metrics[t] * 100:.1f}" if t in metrics else "–" for t in (*tiers, "intent_agreement")]
        got = intents(results)
        lexical.setdefault(name, got)
        agree_hits += sum(a == b for a, b in zip(got, lexical[name], strict=True))
        agree_total += len(got)
    cells.append(f"{agree_hits / agree_total * 100:.1f}")
    return f"| {label} | " + " | ".join(cells) + " |"


def header(runs: list[Suite]) -> str:
    cols: list[str] = []
    for name, _, _, strict in runs:
        cols += [f"{name} {t}" for t in (TIERS if strict else ("all",))] + [f"{name} intent"]
    cols.append("same intent as lexical")
    return "| matcher | " + " | ".join(cols) + " |\n|" + "---|" * (len(cols) + 1)


def latency(pack: CompiledPack, matcher: Matcher, dense: DenseMatcher | None) -> str:
    conversations = [[t.user for t in c.user_turns()] for cs in pack.source.batteries.values() for c in cs]
    start = datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo(pack.source.tenant.timezone))
    decide(pack, ConversationState(), "здравствуйте", start, matcher=matcher)  # examples embedded here
    if dense is not None:
        dense.clear_queries()
    samples: list[float] = []
    for conv in conversations:
        state = ConversationState()
        for i, text in enumerate(conv):
            t0 = time.perf_counter()
            state = decide(pack, state, text, start + timedelta(seconds=40 * i), matcher=matcher).state
            samples.append((time.perf_counter() - t0) * 1000)
        if dense is not None:
            dense.clear_queries()  # a conversation's later turns must not reuse its embeddings
    samples.sort()
    return (
        f"| {matcher.name} | {len(samples)} | {statistics.median(samples):.2f} | "
        f"{samples[int(len(samples) * 0.99)]:.2f} | {samples[-1]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--floors", default="0.7,0.75,0.8", help="dense cosine floors to try")
    parser.add_argument("--weights", default="0.1,0.2,0.3", help="hybrid mean weights to try")
    parser.add_argument("--floor", type=float, default=None, help="floor for the hybrids (default: each)")
    parser.add_argument("--no-latency", action="store_true")
    args = parser.parse_args()
    print(describe())
    runs = suites()
    print("cases: " + ", ".join(f"{n} {len(c)}" for n, _, c, _ in runs))
    dense = DenseMatcher(query_cache=100_000)
    t0 = time.perf_counter()
    dense.cosines(runs[0][1], "здравствуйте")
    print(f"dense: {len(runs[0][1].examples)} salon examples embedded in {time.perf_counter() - t0:.1f} s")
    lexical = LexicalMatcher()
    print(header(runs))
    agreed: dict[str, list[str]] = {}
    print(evaluate("lexical", lexical, runs, agreed), flush=True)
    floors = [float(f) for f in args.floors.split(",")]
    weights = [float(w) for w in args.weights.split(",")]
    for floor in floors:
        dense.floor = floor
        t0 = time.perf_counter()
        print(evaluate(f"dense floor {floor:g}", dense, runs, agreed), flush=True)
        print(f"<!-- dense floor {floor:g}: {time.perf_counter() - t0:.0f} s -->", file=sys.stderr)
        if args.floor is not None and floor != args.floor:
            continue
        for w in weights:
            print(
                evaluate(
                    f"hybrid mean w={w:g} floor {floor:g}", HybridMatcher(lexical, dense, w), runs, agreed
                )
            )
        hybrid_max = HybridMatcher(lexical, dense, 1.0, "max")
        print(evaluate(f"hybrid max floor {floor:g}", hybrid_max, runs, agreed), flush=True)
    if args.no_latency:
        return
    pack = runs[0][1]
    dense.floor = args.floor if args.floor is not None else floors[0]
    print("\n| matcher | decisions | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|")
    print(latency(pack, lexical, None), flush=True)
    print(latency(pack, dense, dense), flush=True)
    print(latency(pack, HybridMatcher(lexical, dense, weights[len(weights) // 2]), dense), flush=True)


if __name__ == "__main__":
    main()
