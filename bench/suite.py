"""Every benchmark in one command, bounded in time, into one Markdown report with the machine description.

    uv run python -m bench.suite --out docs/bench-report.md        # the full run (~10–15 min on 2 cores)
    uv run python -m bench.suite --quick --out /tmp/bench-quick.md # a smoke run of every section (~5 min)

Each section runs in its own process with a timeout, so a hung or failing benchmark is reported
in its section and the others still run. The service benchmarks need PostgreSQL and Redis on
127.0.0.1 (``scripts/ensure-services.sh``); ``bench_service_ack.py`` and ``bench_service_pipeline.py``
use ``truffles_bench`` + Redis DB 6 and ``bench_e2e.py`` uses ``bench`` + Redis DB 14 (all wiped
first). The suite waits (up to ``--wait-seconds``) while another ``bench_service_*`` run is going on,
since two load tests on the same cores measure each other.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.suite_guard import run_bounded, wait_for_quiet
from bench.suite_headline import headline
from bench.suite_machine import ROOT, describe, load_avg, summaries, summary
from bench.suite_update import merge

PY = [sys.executable]


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    command: list[str]
    timeout: float
    parse: Callable[[str], str] | None = None
    """Turns a script's plain stdout into Markdown (with a summary line); None: it prints Markdown."""
    service: bool = False
    """Needs the shared PostgreSQL/Redis and the cores to itself: waits for other service benchmarks."""


def _num(pattern: str, text: str) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else None


def _plain(text: str, **values: float | None) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and "command:" not in ln]
    return (
        "```\n" + "\n".join(lines) + "\n```\n" + summary(**{k: v for k, v in values.items() if v is not None})
    )


def parse_ack(text: str) -> str:
    return _plain(
        text,
        ack_rps=_num(r"ACK throughput: (\d+)", text),
        ack_p50_ms=_num(r"p50 ([\d.]+)", text),
        ack_p99_ms=_num(r"p99 ([\d.]+)", text),
    )


def parse_processing(text: str) -> str:
    return _plain(
        text,
        processing_p50_ms=_num(r"window\) ms: p50 ([\d.]+)", text),
        processing_p90_ms=_num(r"window\) ms: p50 [\d.]+\s+p90 ([\d.]+)", text),
    )


def parse_outbox(text: str) -> str:
    return _plain(
        text,
        outbox_msg_s=_num(r"outbox throughput: (\d+)", text),
        outbox_lost=_num(r"lost: (\d+)", text),
        outbox_duplicates=_num(r"duplicate deliveries: (\d+)", text),
    )


def sections(quick: bool) -> list[Section]:
    q = quick
    return [
        Section(
            "Engine: `decide()` latency and throughput per stage mix",
            "Grouped by the stage that finished the turn.",
            [*PY, "-m", "bench.suite_engine", "--section", "stages", "--rounds", "1" if q else "3"],
            600,
        ),
        Section(
            "Full battery and calibration sweep: wall time",
            "As an analyst or CI runs them.",
            [*PY, "-m", "bench.suite_engine", "--section", "battery", "--runs", "1" if q else "2"],
            900,
        ),
        Section(
            "Baseline: the same questions through a plain LlamaIndex query",
            (
                Path(ROOT / "bench/bench_baseline.py")
                .read_text(encoding="utf-8")
                .split('"""')[1]
                .split("\n\n")[1]
            ),
            [*PY, "-m", "bench.bench_baseline", *([] if q else ["--reference"])],
            600,
        ),
        Section(
            "Webhook ACK against real PostgreSQL + Redis",
            "`bench/bench_service_ack.py`: uvicorn (2 processes) serving the real app; an open-loop "
            "load generator (2 processes × 32 keep-alive connections) offering 500 requests/s from "
            "500 customers, latency counted from each request's due time.",
            [
                *PY,
                "bench/bench_service_ack.py",
                "--requests",
                "1000" if q else "10000",
                "--warmup",
                "100",
                "--api-processes",
                "2",
                "--clients",
                "2",
                "--concurrency",
                "32",
                "--rate",
                "500",
                "--max-seconds",
                "60",
            ],
            240,
            parse_ack,
            service=True,
        ),
        Section(
            "Processing latency (stored timestamps, coalescing window excluded)",
            "`bench/bench_service_pipeline.py processing`: messages ingested as the webhook does at "
            "25 msg/s, decided by 8 worker threads; `decided − received − window`.",
            [*PY, "bench/bench_service_pipeline.py", "processing", "--messages", "50" if q else "200"],
            300,
            parse_processing,
            service=True,
        ),
        Section(
            "End to end: webhook → worker → outbox → ChatFlow emulator",
            "`bench/bench_e2e.py`: the whole path over HTTP, timestamps from the database.",
            [*PY, "-m", "bench.bench_e2e", "--messages", "20" if q else "100", "--rate", "10"],
            300,
            service=True,
        ),
        Section(
            "Outbox throughput with 10 % injected provider errors",
            "`bench/bench_service_pipeline.py outbox`: rows written first, then sent by the workers to "
            "the ChatFlow emulator answering HTTP 500 to 10 % of calls; every `msg_id` must arrive once.",
            [
                *PY,
                "bench/bench_service_pipeline.py",
                "outbox",
                "--rows",
                "300" if q else "10000",
                "--threads",
                "8",
            ],
            480,
            parse_outbox,
            service=True,
        ),
        Section(
            "Memory per worker process with tenant packs loaded",
            "`bench/bench_memory.py`: RSS of a worker-like process (worker + web stack imported) holding "
            "compiled generated packs in a real `TenantRegistry`.",
            [*PY, "-m", "bench.bench_memory", "--tenants", "10" if q else "100"],
            900,
        ),
        Section(
            "Pack hot reload: file write → new version serving",
            "`bench/bench_reload.py`: detection (poll) + load + lint + compile + atomic swap.",
            [
                *PY,
                "-m",
                "bench.bench_reload",
                "--tenants",
                "1,10" if q else "1,100",
                "--edits",
                "2" if q else "5",
                *(["--interval", "1"] if q else []),
            ],
            900,
        ),
    ]


def run_section(s: Section, wait_seconds: float) -> tuple[str, dict[str, object]]:
    note = ""
    for attempt in range(2):
        if s.service and (busy := wait_for_quiet(wait_seconds)):
            return f"_Skipped: another service benchmark kept running for {wait_seconds:.0f} s:_ `{busy}`", {}
        load = load_avg()
        started = time.perf_counter()
        print(f"suite: {s.title} …", file=sys.stderr, flush=True)
        got = run_bounded(s.command, ROOT, s.timeout, watch=s.service)
        if not (got.collided and attempt == 0):
            break
        note = f" (run again: another service benchmark ran during the first try: `{got.collided[:120]}`)"
    took = time.perf_counter() - started
    command = " ".join(["uv run python", *s.command[1:]])
    meta = f"`{command}` — {took:.0f} s; load average at start {load}{note}"
    if got.collided:
        meta += f"; ⚠ another service benchmark ran at the same time: `{got.collided[:120]}`"
    if got.returncode is None:
        tail = got.stdout[-2000:]
        if s.parse is not None and summaries(body := s.parse(got.stdout)):  # results printed, then hung
            return (
                f"{meta}; ⚠ printed its results but did not exit: killed at {s.timeout:.0f} s\n\n{body}",
                summaries(body),
            )
        return f"{meta}\n\n⚠ **timed out after {s.timeout:.0f} s** (bounded run).\n\n```\n{tail}\n```", {}
    if got.returncode != 0:
        tail = (got.stdout + got.stderr)[-3000:]
        return f"{meta}\n\n⚠ **failed** (exit {got.returncode}):\n\n```\n{tail}\n```", {}
    body = s.parse(got.stdout) if s.parse else got.stdout.strip()
    return f"{meta}\n\n{s.intro}\n\n{body}", summaries(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/bench-report.md")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every section")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated words: only the sections whose title has one (e.g. ack,outbox)",
    )
    parser.add_argument(
        "--wait-seconds", type=float, default=900, help="max wait for other service benchmarks"
    )
    parser.add_argument("--update", action="store_true", help="replace only the sections run in --out")
    args = parser.parse_args()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    before = load_avg()
    wanted = {w.strip().lower() for w in args.only.split(",") if w.strip()}
    chosen = [
        s for s in sections(args.quick) if not wanted or wanted & set(re.findall(r"\w+", s.title.lower()))
    ]
    parts: list[str] = []
    values: dict[str, object] = {}
    for s in chosen:
        text, found = run_section(s, args.wait_seconds)
        values.update(found)
        parts.append(f"## {s.title}\n\n{text}\n")
    from cli.packs import load_compiled

    versions = {
        p.name: load_compiled(str(p)).version for p in sorted((ROOT / "packs").iterdir()) if p.is_dir()
    }
    mode = "quick (smoke sizes)" if args.quick else "full"
    command = "uv run python -m bench.suite" + (" --quick" if args.quick else "") + f" --out {args.out}"
    report = "\n".join([
        f"# Benchmark report ({mode})\n",
        f"Generated by `{command}` in {(time.perf_counter() - t0) / 60:.1f} min. Every section ran in its "
        "own process with a time limit; numbers are from this one run on a machine shared with other "
        "jobs (see the load averages), so read them as orders of magnitude, not as a tight spec.\n",
        "## Machine\n", describe(versions, before, load_avg(), started) + "\n",
        "## Headline\n", headline(values) + "\n",
        *parts,
    ])  # fmt: skip
    out = Path(args.out)
    if args.update and out.is_file():
        titles = ", ".join(s.title for s in chosen)
        note = (f"_Re-run {started:%Y-%m-%d %H:%M} UTC with `{command} --update --only {args.only}` "
                f"(load average {before} → {load_avg()}): {titles}._")  # fmt: skip
        report = merge(out.read_text(encoding="utf-8"), parts, note, headline)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(f"suite: wrote {out} ({len(chosen)} sections)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
