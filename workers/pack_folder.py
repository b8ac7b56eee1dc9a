"""A pack folder as the hot reload sees it: its files' fingerprint, its bytes, its checked compile."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.errors import PackInvalid, Problem
from config.lint import lint_pack
from config.loader import read_pack

__all__ = ["Seen", "Signature", "compile_checked", "declared_id", "folder_signature", "read_folder", "walk"]

Signature = tuple[tuple[str, int, int, int], ...]
"""(name, size, mtime_ns, inode) of every file of a folder."""


@dataclass
class Seen:
    signature: Signature
    fingerprint: str
    settled: bool
    tenant: str
    errors: list[str] | None = None
    """The problems of this content when it did not compile (reported again, not recompiled)."""


def walk(folder: Path) -> list[Path]:
    """The files ``config.files.read_pack_dir`` reads, in the same order."""
    found: list[Path] = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        found += [Path(parent) / n for n in sorted(names) if not n.startswith(".")]
    return found


def folder_signature(folder: Path) -> tuple[Signature, float]:
    """(name, size, mtime_ns, inode) of every file, and the newest mtime in seconds."""
    rows = []
    newest = 0.0
    for path in walk(folder):
        st = path.stat()
        rows.append((path.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns, st.st_ino))
        newest = max(newest, st.st_mtime)
    return tuple(rows), newest


def read_folder(folder: Path) -> tuple[dict[str, bytes], str]:
    """The folder's files and their content fingerprint (sha256 over names and bytes)."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in walk(folder)}
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return files, digest.hexdigest()


def declared_id(files: dict[str, bytes], folder: Path) -> str:
    """The ``id:`` line of ``tenant.yaml`` (no YAML parse: the file may be broken), else the folder name."""
    for line in files.get("tenant.yaml", b"").decode("utf-8", "replace").splitlines():
        if line.startswith("id:"):
            return line[3:].split("#")[0].strip().strip("'\"") or folder.name
    return folder.name


def compile_checked(files: dict[str, bytes]) -> CompiledPack:
    """Load, lint and compile: an edit must pass what ``truffles pack check`` enforces to be served."""
    source, problems = read_pack(files)
    if source is not None:
        problems = [*problems, *lint_pack(source, files)]
    errors: list[Problem] = [p for p in problems if p.severity == "error"]
    if source is None or errors:
        raise PackInvalid(errors or problems)
    return compile_pack(source)
