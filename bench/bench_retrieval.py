"""Retrieval benchmark: index build time for N chunks and per-query latency (p50/p99).

    uv run python bench/bench_retrieval.py                       # 10,000 chunks, local mode in a temp dir
    uv run python bench/bench_retrieval.py --chunks 2000 --queries 500 --memory

The corpus is the demo_salon pack's own chunks plus generated chunks made by recombining sentences
of both demo packs' knowledge documents with made-up words, so a query has many near-duplicates
to rank. Queries are the long-tail batteries' questions, cycled. Latency is measured for the
retrieval alone (``PackRetriever.candidates``) and for a full ``answer`` (re-rank, extractive
passage, grounding check), after a warm-up, on one thread.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.compile.compiled import CompiledPack  # noqa: E402
from config.compile.compiler import compile_pack  # noqa: E402
from config.files import read_pack_dir  # noqa: E402
from config.loader import load_pack  # noqa: E402
from retrieval import PackRetriever, open_qdrant, pack_nodes, tenant_store  # noqa: E402
from retrieval.chunks import _node, embed_text  # noqa: E402
from retrieval.embedding import DEFAULT_DIM, HashedNgramEmbedding  # noqa: E402
from retrieval.extractive import sentences  # noqa: E402
from retrieval.sync import sync_nodes  # noqa: E402


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _pack(name: str) -> CompiledPack:
    return compile_pack(load_pack(read_pack_dir(ROOT / "packs" / name)))


def _corpus(pack: CompiledPack, other: CompiledPack, size: int) -> list:  # type: ignore[type-arg]
    rng = random.Random(20261125)
    nodes = pack_nodes(pack)
    pool = [s for p in (pack, other) for n in pack_nodes(p) for s in sentences(n.get_content())]
    syllables = ["ка", "ро", "ми", "ла", "ту", "не", "за", "ви", "до", "са", "ле", "но"]
    while len(nodes) < size:
        words = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(rng.randint(3, 8))]
        body = " ".join([*rng.sample(pool, rng.randint(2, 4)), " ".join(words).capitalize() + "."])
        title = f"Раздел {len(nodes)}"
        nodes.append(_node(pack.tenant_id, f"knowledge/gen_{len(nodes) // 20}.md", title, body, "gen"))
    return nodes


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=1_000)
    ap.add_argument("--dim", type=int, default=DEFAULT_DIM, help="embedding dimensions")
    ap.add_argument("--memory", action="store_true", help="Qdrant in memory instead of local mode on disk")
    args = ap.parse_args()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    machine = f"{_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    print(f"machine: {machine}")
    salon, auto = _pack("demo_salon"), _pack("auto_service")
    nodes = _corpus(salon, auto, args.chunks)
    with tempfile.TemporaryDirectory() as tmp:
        client = open_qdrant(":memory:" if args.memory else Path(tmp) / "qdrant")
        store = tenant_store(client, salon.tenant_id)
        started = time.perf_counter()
        model = HashedNgramEmbedding(salon.analyser, stopwords=salon.source.lexicon.stopwords, dim=args.dim)
        model.fit([embed_text(n) for n in nodes])
        fitted = time.perf_counter()
        report = sync_nodes(store, nodes, model, pack_version=salon.version)
        built = time.perf_counter()
        print(
            f"index build: {len(nodes):,} chunks in {built - started:.1f} s "
            f"(IDF fit {fitted - started:.1f} s, embed + upsert {report.seconds:.1f} s) "
            f"[{'memory' if args.memory else 'local mode on disk'}]"
        )
        again = sync_nodes(store, nodes, model, pack_version=salon.version)
        print(f"re-sync, nothing changed: {again.seconds * 1000:.0f} ms")
        retriever = PackRetriever(salon, store, embed_model=model, require_synced=False)
        batteries = [p.source.batteries["batteries/longtail.yaml"] for p in (salon, auto)]
        questions = [c.user or "" for cases in batteries for c in cases]
        for q in questions:  # warm-up: lemma cache, numpy, Qdrant
            retriever.answer(q)
        for label, call in (("retrieve", retriever.candidates), ("answer", retriever.answer)):
            times = []
            for i in range(args.queries):
                t = time.perf_counter()
                call(questions[i % len(questions)])
                times.append((time.perf_counter() - t) * 1000)
            print(
                f"{label:>8}: p50 {statistics.median(times):.1f} ms, p99 {_pct(times, 0.99):.1f} ms, "
                f"max {max(times):.1f} ms over {args.queries} queries"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
