"""``truffles isolation``: prove nothing of one tenant reaches another tenant's answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec

from cli.packs import PackLoadFailed, load_compiled
from evals.isolation import PairResult, check_pair

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("isolation", help="tenant-isolation contracts over every ordered pair of packs")
    p.add_argument("packs", nargs="*", help="pack folders (default: every folder in packs/)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=_isolation)


def _matrix(results: list[PairResult], ids: list[str]) -> str:
    width = max(len(i) for i in ids) + 2
    lines = ["A \\ B".ljust(width) + "".join(i.ljust(width) for i in ids)]
    cell = {(r.tenant, r.other): ("LEAK" if r.leaks else "ok") for r in results}
    for a in ids:
        lines.append(a.ljust(width) + "".join(cell.get((a, b), "—").ljust(width) for b in ids))
    return "\n".join(lines)


def _isolation(args: argparse.Namespace) -> int:
    paths = args.packs or sorted(str(p) for p in Path("packs").iterdir() if (p / "tenant.yaml").exists())
    if len(paths) < 2:
        print("truffles: isolation needs at least two packs", file=sys.stderr)
        return 2
    try:
        packs = [load_compiled(p) for p in paths]
    except PackLoadFailed:
        return 1
    results = [check_pair(a, b) for a in packs for b in packs if a is not b]
    if args.format == "json":
        sys.stdout.write(msgspec.json.encode(results).decode() + "\n")
    else:
        print(_matrix(results, [p.tenant_id for p in packs]))
        for r in results:
            print(f"{r.tenant} ← {r.other}: {r.probes} probes + {r.cases} cases, {len(r.leaks)} leak(s)")
            for leak in r.leaks[:20]:
                print(f"  LEAK in {leak.case} ({leak.where}): {leak.fingerprint!r} after {leak.message!r}")
    return 1 if any(r.leaks for r in results) else 0
