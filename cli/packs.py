"""Load and compile a pack folder for CLI commands, printing problems instead of raising."""

from __future__ import annotations

import sys
from pathlib import Path

from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.files import read_pack_dir
from config.loader import read_pack

__all__ = ["PackLoadFailed", "load_compiled"]


class PackLoadFailed(Exception):
    """The pack at a path has errors (already printed)."""


def load_compiled(path: str) -> CompiledPack:
    root = Path(path)
    if not root.is_dir():
        print(f"truffles: {path}: not a pack folder (expected a directory with tenant.yaml)", file=sys.stderr)
        raise PackLoadFailed(path)
    source, problems = read_pack(read_pack_dir(root))
    errors = [p for p in problems if p.severity == "error"]
    if source is None or errors:
        for p in errors:
            print(f"{root}/{p.render()}", file=sys.stderr)
        print(
            f"truffles: {path}: pack has {len(errors)} error(s); run `truffles pack check {path}`",
            file=sys.stderr,
        )
        raise PackLoadFailed(path)
    return compile_pack(source)
