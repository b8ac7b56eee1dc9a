"""Cached loaders. Every input is an explicit argument, so a changed file is a new cache key."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.files import read_pack_dir
from config.loader import read_pack
from config.schema.battery import Case
from evals.calibration import CalibrationSet, collect
from evals.isolation import PairResult, check_pair
from evals.runner import CaseResult, run_cases

__all__ = [
    "PackError",
    "calibration_set",
    "isolation_pairs",
    "load_pack",
    "pack_signature",
    "run_battery",
    "select_cases",
]


class PackError(Exception):
    """A pack folder that does not load; ``problems`` are rendered ``file:line: message`` lines."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


def pack_signature(path: Path) -> tuple[tuple[str, int, int], ...]:
    """(file, mtime, size) of every file of a pack: the cache key that notices edits."""
    out = []
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        stat = file.stat()
        out.append((file.relative_to(path).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


@st.cache_resource(show_spinner="Compiling the pack…", max_entries=16)
def load_pack(path: str, signature: tuple[tuple[str, int, int], ...]) -> CompiledPack:
    """Compile the pack at ``path`` (``signature`` from :func:`pack_signature` keys the cache)."""
    del signature
    source, problems = read_pack(read_pack_dir(path))
    errors = [p.render() for p in problems if p.severity == "error"]
    if source is None or errors:
        raise PackError(path, errors)
    return compile_pack(source)


def select_cases(
    pack: CompiledPack, batteries: tuple[str, ...], tiers: tuple[str, ...]
) -> list[tuple[str, Case]]:
    """The pack's cases of the chosen batteries (all when empty) and tiers (all when empty)."""
    return [
        (name, case)
        for name, cases in sorted(pack.source.batteries.items())
        if not batteries or name in batteries
        for case in cases
        if not tiers or case.tier in tiers
    ]


@st.cache_data(show_spinner="Running the battery…", max_entries=32)
def run_battery(
    path: str, version: str, batteries: tuple[str, ...], tiers: tuple[str, ...]
) -> list[CaseResult]:
    """Run the chosen cases in-process (keyed by the pack's content version)."""
    pack = load_pack(path, pack_signature(Path(path)))
    if pack.version != version:
        raise PackError(path, [f"pack changed while running (version {pack.version} != {version})"])
    return run_cases(select_cases(pack, batteries, tiers), pack, strict_intents=True)


@st.cache_resource(show_spinner="Scoring every case once…", max_entries=16)
def calibration_set(path: str, version: str, batteries: tuple[str, ...]) -> CalibrationSet:
    """ONE scoring pass over the chosen batteries; every slider move re-uses it."""
    pack = load_pack(path, pack_signature(Path(path)))
    del version
    return collect(pack, select_cases(pack, batteries, ()))


@st.cache_data(show_spinner="Running the isolation contracts…", max_entries=8)
def isolation_pairs(paths: tuple[str, ...], versions: tuple[str, ...]) -> list[PairResult]:
    """Every ordered pair of the packs (``versions`` keys the cache)."""
    del versions
    packs = [load_pack(p, pack_signature(Path(p))) for p in paths]
    return [check_pair(a, b) for a in packs for b in packs if a is not b]
