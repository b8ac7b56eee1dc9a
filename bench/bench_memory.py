"""Memory of a worker-like process holding N compiled tenant packs (RSS, not tracemalloc).

A child process imports the whole worker stack (``workers.service``, the web app, storage), serves the
demo pack, then compiles ``--tenants`` packs from ``bench_compile.variant`` (each its own id, facts
and extra made-up examples: the worst case for the lemma cache) and adds every one to a real
``TenantRegistry`` (with its tenant row and store, on a throw-away SQLite file). RSS is read from
``/proc/self/status`` after a full garbage collection at each step.

    uv run python -m bench.bench_memory [--tenants 100]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.suite_machine import ROOT, summary, table


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss() -> float:
    gc.collect()
    return _status_mib("VmRSS")


def child(tenants: int) -> dict[str, float]:
    out = {"start": _rss()}
    import api.app  # noqa: F401  (the web stack a worker host imports too)
    from bench.bench_compile import variant
    from config.compile.compiler import compile_pack
    from storage import open_database, upgrade_to_head
    from workers.service import load_packs  # noqa: F401
    from workers.tenants import TenantRegistry, compile_pack_dir

    out["imports"] = _rss()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{tmp}/memory.db")
        upgrade_to_head(db.engine)
        registry = TenantRegistry(db.session_factory, environ={})
        demo = compile_pack_dir(ROOT / "packs" / "demo_salon")
        registry.add(demo, webhook_secret="s", chatflow_token="t")
        out["one_pack"] = _rss()
        started = time.perf_counter()
        for n in range(tenants):
            registry.add(compile_pack(variant(demo.source, n)), webhook_secret="s", chatflow_token="t")
        out["compile_seconds"] = time.perf_counter() - started
        out["all_packs"] = _rss()
        out["peak"] = _status_mib("VmHWM")
        out["served"] = float(len(registry.ids()))
        db.dispose()
    return out


def report(tenants: int, timeout: float) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_memory", "--child", "--tenants", str(tenants)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    per_pack = (m["all_packs"] - m["one_pack"]) / max(1, tenants)
    rows = [
        ("interpreter start", f"{m['start']:.0f}"),
        ("after importing the worker + web stack", f"{m['imports']:.0f}"),
        ("serving demo_salon (1 pack)", f"{m['one_pack']:.0f}"),
        (f"serving {int(m['served'])} packs (+{tenants} generated)", f"**{m['all_packs']:.0f}**"),
        ("peak (VmHWM)", f"{m['peak']:.0f}"),
    ]
    head = (
        f"One process, RSS in MiB after `gc.collect()`. Per generated pack: **{per_pack:.1f} MiB**; "
        f"compiling the {tenants} packs took {m['compile_seconds']:.1f} s."
    )
    line = summary(
        memory_tenants=int(m["served"]),
        memory_rss_mib=round(m["all_packs"]),
        memory_per_pack_mib=round(per_pack, 1),
    )
    return head + "\n\n" + table(("step", "RSS MiB"), rows) + "\n" + line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.tenants)))
    else:
        print(report(args.tenants, 900))


if __name__ == "__main__":
    main()
