"""Benchmark: load, lint and compile one pack, then compile 100 generated tenant packs.

Run from the repo root::

    uv run python bench/bench_compile.py [--pack packs/demo_salon] [--runs 20] [--tenants 100]

Prints the machine, the command, median times for one pack (cold and warm lemma cache), the total
time for N generated tenants (each with its own facts, extra examples and id), and peak memory.
Targets: one pack < 300 ms, 100 packs < 15 s. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import msgspec

from bench.machine import cpu_model
from config.compile.compiler import compile_pack
from config.files import read_pack_dir
from config.lint import lint_pack
from config.loader import load_pack, read_pack
from config.schema.pack import PackSource
from config.text.morph import lemma

ONE_PACK_TARGET_MS = 300.0
MANY_PACKS_TARGET_S = 15.0
_LETTERS = "абвгдежзиклмнопрстуфхцчшэюя"



def median_ms(fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def variant(base: PackSource, n: int) -> PackSource:
    """Tenant ``n``: its own id, facts and extra examples (made-up words, so no lemma is cached)."""
    rng = random.Random(n)

    def word() -> str:
        return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(5, 9)))

    facts = {**base.facts, **{f"tenant{n}.fact{k}": f"{word()} {rng.randint(1, 99999)}" for k in range(20)}}
    intents = [
        msgspec.structs.replace(i, examples=[*i.examples, *(f"{e} {word()}" for e in i.examples[:3])])
        for i in base.intents
    ]
    tenant = msgspec.structs.replace(base.tenant, id=f"tenant_{n:03d}")
    return msgspec.structs.replace(base, tenant=tenant, facts=facts, intents=intents)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", default="packs/demo_salon", help="pack folder (default: packs/demo_salon)")
    parser.add_argument("--runs", type=int, default=20, help="runs per one-pack measurement (median)")
    parser.add_argument("--tenants", type=int, default=100, help="generated tenant packs to compile")
    parser.add_argument("--traced", type=int, default=10, help="packs compiled again under tracemalloc")
    args = parser.parse_args()

    print(f"command  {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"cpu      {cpu_model()} ({os.cpu_count()} cores)")
    print(f"python   {platform.python_version()} on {platform.platform()}")
    files = read_pack_dir(args.pack)
    source = load_pack(files)
    start = time.perf_counter()
    compile_pack(source)
    first_ms = (time.perf_counter() - start) * 1000
    examples = sum(len(i.examples) for i in source.intents)
    print(
        f"pack     {args.pack}: {len(source.intents)} intents, {examples} examples, {len(source.facts)} facts"
    )
    print(f"\nfirst compile incl. morphology dictionary start-up: {first_ms:.0f} ms")

    report_one(source, files, args.runs)
    report_many(source, args.tenants, args.traced)
    return 0


def report_one(source: PackSource, files: dict[str, bytes], runs: int) -> None:
    """Median load, lint and compile (cold and warm lemma cache) of one pack."""
    load = median_ms(lambda: read_pack(files), runs)
    lint = median_ms(lambda: lint_pack(source, files), runs)
    cold = median_ms(lambda: compile_pack(source), runs, before=lemma.cache_clear)
    warm = median_ms(lambda: compile_pack(source), runs)
    one = load + lint + cold
    print(f"one pack, median of {runs}:")
    print(f"  load (parse + validate)       {load:8.1f} ms")
    print(f"  lint                          {lint:8.1f} ms")
    print(
        f"  compile, cold lemma cache     {cold:8.1f} ms   target < {ONE_PACK_TARGET_MS:.0f} ms: "
        f"{'ok' if cold < ONE_PACK_TARGET_MS else 'OVER TARGET'}"
    )
    print(f"  compile, warm lemma cache     {warm:8.1f} ms")
    print(f"  load + lint + compile (cold)  {one:8.1f} ms")


def report_many(source: PackSource, tenants: int, traced: int) -> None:
    """Compile ``tenants`` generated packs (timed), then ``traced`` of them under tracemalloc."""
    variants = [variant(source, n) for n in range(tenants)]
    lemma.cache_clear()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    start = time.perf_counter()
    compiled = [compile_pack(v) for v in variants]
    total = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert len({c.version for c in compiled}) == len(compiled), "generated packs must differ"
    del compiled
    verdict = "ok" if total < MANY_PACKS_TARGET_S else "OVER TARGET"
    print(f"\n{tenants} generated tenant packs, cold lemma cache, all kept in memory:")
    print(
        f"  compile total                 {total:8.2f} s    target < {MANY_PACKS_TARGET_S:.0f} s: {verdict}"
    )
    print(f"  per pack                      {total / max(1, tenants) * 1000:8.1f} ms")
    print(f"  ru_maxrss before → after      {rss_before:8.1f} → {rss_after:.1f} MiB (whole process)")

    lemma.cache_clear()
    tracemalloc.start()
    kept = [compile_pack(v) for v in variants[:traced]]
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"tracemalloc over {len(kept)} packs (separate pass: tracing slows compiling ~5x):")
    print(f"  peak                          {peak / 2**20:8.1f} MiB")
    print(f"  retained per compiled pack    {current / max(1, len(kept)) / 2**20:8.2f} MiB")


if __name__ == "__main__":
    sys.exit(main())
