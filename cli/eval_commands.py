"""``truffles eval``: run batteries, print scores, enforce a gate."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from cli.packs import PackLoadFailed, load_compiled
from config.compile.compiled import CompiledPack
from config.loader import load_battery
from config.schema.battery import Case
from engine.matcher import Matcher
from engine.retrieval import Retriever
from evals.metrics import GateError, check_gate, score
from evals.report import render
from evals.runner import run_cases

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("eval", help="run a pack's batteries (or an external one) and score them")
    p.add_argument("pack", help="pack folder, e.g. packs/demo_salon")
    p.add_argument("--battery", action="append", default=[], help="external battery file (repeatable)")
    p.add_argument("--tier", action="append", default=[], help="only cases of this tier (repeatable)")
    p.add_argument("--gate", default="", help="e.g. core=1.0,all>=0.97,law_recall=1.0")
    p.add_argument(
        "--baseline", help="an earlier --format json result: list cases that passed then and fail now"
    )
    p.add_argument("--format", choices=("text", "json", "junit", "md"), default="text")
    p.add_argument("--out", help="write the report here instead of stdout")
    p.add_argument(
        "--strict-intents", action="store_true", help="an intent mismatch fails external cases too"
    )
    p.add_argument("--no-trace", action="store_true", help="omit traces under failures in text output")
    p.add_argument(
        "--retrieval",
        choices=("auto", "on", "off"),
        default="auto",
        help="answer the long tail from the pack's knowledge (an in-memory index built for the run); "
        "auto: only when a selected case is of tier `longtail`",
    )
    p.add_argument(
        "--matcher",
        choices=("lexical", "dense", "hybrid"),
        default="lexical",
        help="intent matcher: dense and hybrid need the optional extra (`uv sync --extra dense`)",
    )
    p.set_defaults(handler=_eval)


def _collect(args: argparse.Namespace, pack_sources: dict[str, list[Case]]) -> list[tuple[str, Case]] | None:
    cases: list[tuple[str, Case]] = []
    if args.battery:
        for file in args.battery:
            path = Path(file)
            if not path.is_file():
                print(f"truffles: battery {file}: no such file", file=sys.stderr)
                return None
            loaded, problems = load_battery(path.read_bytes(), str(path))
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                for p in errors:
                    print(p.render(), file=sys.stderr)
                print(f"truffles: battery {file} has {len(errors)} error(s)", file=sys.stderr)
                return None
            cases.extend((str(path), c) for c in loaded)
    else:
        for name, loaded in sorted(pack_sources.items()):
            cases.extend((name, c) for c in loaded)
    if args.tier:
        cases = [(b, c) for b, c in cases if c.tier in args.tier]
    return cases


def _matcher(name: str) -> Matcher | None:
    """None (the engine's default, lexical) or a dense/hybrid matcher, imported only when asked."""
    if name == "lexical":
        return None
    from encoders import DenseUnavailable
    from encoders.factory import make_matcher

    try:
        return make_matcher(name)
    except DenseUnavailable as exc:
        print(f"truffles: --matcher {name}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _retriever(pack: CompiledPack) -> Retriever:
    """The pack's knowledge indexed into a throw-away in-memory Qdrant, as the service would query it."""
    from retrieval import PackRetriever, open_qdrant, sync_pack, tenant_store

    store = tenant_store(open_qdrant(":memory:"), pack.tenant_id)
    report = sync_pack(pack, store)
    print(f"retrieval: {report.added} chunks indexed in memory for {pack.tenant_id}", file=sys.stderr)
    return PackRetriever(pack, store)


PROGRESS_FROM = 200  # cases; shorter runs finish before a bar would be read


def _progress_bar(total: int) -> Callable[[int, int], None] | None:
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        filled = done * 30 // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _regressions(baseline: str | None, results: list[Any]) -> list[str]:
    if not baseline:
        return []
    data = msgspec.json.decode(Path(baseline).read_bytes())
    before = {c["id"] for c in data.get("cases", []) if c.get("passed")}
    return [r.id for r in results if r.id in before and not r.passed]


def _eval(args: argparse.Namespace) -> int:
    try:
        pack = load_compiled(args.pack)
    except PackLoadFailed:
        return 1
    cases = _collect(args, pack.source.batteries)
    if cases is None:
        return 1
    if not cases:
        print(f"truffles: no cases to run in {args.pack} (tiers {args.tier or 'all'})", file=sys.stderr)
        return 1
    strict = args.strict_intents or not args.battery
    wanted = args.retrieval == "on" or (
        args.retrieval == "auto" and any(c.tier == "longtail" for _, c in cases)
    )
    retriever = _retriever(pack) if wanted else None
    matcher = _matcher(args.matcher)
    results = run_cases(
        cases,
        pack,
        strict_intents=strict,
        matcher=matcher,
        retriever=retriever,
        progress=_progress_bar(len(cases)),
    )
    scores = score(results, [c for _, c in cases], pack)
    regressions = _regressions(args.baseline, results)
    report = render(args.format, results, scores, regressions, trace=not args.no_trace)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    try:
        violations = check_gate(args.gate, scores) if args.gate else []
    except GateError as exc:
        print(f"truffles: --gate: {exc}", file=sys.stderr)
        return 2
    for v in violations:
        print(f"gate: {v}", file=sys.stderr)
    if regressions:
        print(f"gate: {len(regressions)} case(s) regressed against the baseline", file=sys.stderr)
    return 1 if violations or regressions else 0
