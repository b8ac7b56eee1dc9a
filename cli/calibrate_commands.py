"""``truffles calibrate``: score once, sweep thresholds, propose, optionally write them."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from cli.packs import PackLoadFailed, load_compiled
from config.compile.compiled import CompiledPack
from config.schema.battery import Case
from evals.calibration import SweepPoint, collect, evaluate, propose
from evals.threshold_file import diff, rewrite_thresholds

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "calibrate", help="sweep matcher thresholds over the pack's batteries and propose"
    )
    p.add_argument("pack")
    p.add_argument("--tier", action="append", default=[], help="only cases of this tier (repeatable)")
    p.add_argument(
        "--write", action="store_true", help="write the proposal into thresholds.yaml (shows the diff)"
    )
    p.add_argument(
        "--by", default="", help="who calibrates (recorded in thresholds.yaml; default: login name)"
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--top", type=int, default=10, help="how many sweep points to list")
    p.set_defaults(handler=_calibrate)


def _row(label: str, p: SweepPoint) -> str:
    s = p.setting
    per = ",".join(f"{k}={v}" for k, v in sorted(s.per_intent.items())) or "-"
    return (
        f"{label:<10} intent={s.intent:.2f} ood={s.ood:.2f} margin={s.ambiguity_margin:.2f} "
        f"per_intent={per}  "
        f"pass={p.pass_rate:.2%} wrong={p.wrong_answer_rate:.2%} needless={p.needless_clarify_rate:.2%} "
        f"clarify={p.clarify_rate:.2%} cost={p.cost:g}"
    )


def _retrieval_threshold(pack: CompiledPack, longtail: list[Case]) -> tuple[float, str]:
    """Calibrate the retrieval confidence on the long-tail cases (answerable = expected reply)."""
    from retrieval import PackRetriever, calibrate_threshold, open_qdrant, sync_pack, tenant_store

    store = tenant_store(open_qdrant(":memory:"), pack.tenant_id)
    sync_pack(pack, store)
    pairs = [
        (t.user, (c.expected.action if c.expected else None) == "reply")
        for c in longtail
        for t in c.user_turns()[-1:]
    ]
    result = calibrate_threshold(PackRetriever(pack, store), pairs)
    note = (
        f"retrieval  threshold={result.threshold:.4f} (now {pack.source.thresholds.retrieval}) over "
        f"{len(pairs)} long-tail questions: {result.false_answers} unanswerable answered, "
        f"{result.missed} answerable clarified, cost {result.cost:g}"
    )
    return round(result.threshold, 4), note


def _calibrate(args: argparse.Namespace) -> int:
    try:
        pack = load_compiled(args.pack)
    except PackLoadFailed:
        return 1
    cases = [
        (n, c)
        for n, cs in sorted(pack.source.batteries.items())
        for c in cs
        if not args.tier or c.tier in args.tier
    ]
    if not cases:
        print(f"truffles: {args.pack} has no battery cases to calibrate on", file=sys.stderr)
        return 1
    started = time.perf_counter()
    longtail = [c for _, c in cases if c.tier == "longtail"]
    cases = [(n, c) for n, c in cases if c.tier != "longtail"]
    cset = collect(pack, cases)
    scored = time.perf_counter()
    current = evaluate(cset, cset.current)
    best, points = propose(cset)
    swept = time.perf_counter()
    retrieval_note = ""
    if longtail:
        threshold, retrieval_note = _retrieval_threshold(pack, longtail)
        best = msgspec.structs.replace(
            best, setting=msgspec.structs.replace(best.setting, retrieval=threshold)
        )
    if args.format == "json":
        payload = {
            "current": current,
            "proposed": best,
            "points": points,
            "timing": {"scoring_s": scored - started, "sweep_s": swept - scored},
        }
        sys.stdout.write(msgspec.json.encode(payload).decode() + "\n")
    else:
        print(
            f"{len(cases)} cases, {len(cset.turns)} turns decided by the intent stage; "
            f"scoring {scored - started:.2f} s, {len(points)} settings swept in {swept - scored:.2f} s"
        )
        print(_row("current", current))
        if retrieval_note:
            print(retrieval_note)
        print(_row("proposed", best))
        print("best of the grid:")
        for p in sorted(points, key=lambda p: (p.cost, -p.pass_rate))[: args.top]:
            print("  " + _row("", p))
    if args.write:
        path = Path(args.pack) / "thresholds.yaml"
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        after = rewrite_thresholds(
            before,
            best.setting,
            who=args.by or getpass.getuser(),
            when=datetime.now(UTC),
            pack_version=pack.version,
        )
        print(diff(before, after, str(path)) or "thresholds.yaml unchanged")
        path.write_text(after, encoding="utf-8")
    return 0
