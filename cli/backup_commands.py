"""``truffles backup`` and ``truffles restore``: the database (PostgreSQL or the SQLite file) and Qdrant.

Qdrant: a server (``QDRANT_URL``) is saved as collection snapshots (``retrieval/backup.py``). Local
mode (``var/qdrant``) is NOT copied, on purpose: every point in it is derived from a pack's knowledge
documents and facts, which live in git (the manifest records each pack's version), and its folder is
locked by the process serving it, so a file copy could catch it half-written. After a restore,
``truffles knowledge sync packs/<tenant>`` rebuilds it (restore prints the commands).

A backup is a folder: the dump, Qdrant snapshots (server mode), and ``manifest.json`` with the git
commit, the Alembic revision, every table's row count and content checksum, and each pack's
version. ``restore`` refuses a damaged folder or a non-empty target (unless ``--force``), then
verifies every count and checksum and exits 1 on any mismatch. Stop the service before a restore.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from storage.backup_manifest import QdrantPart

__all__ = ["register"]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BACKUP_ROOT = "var/backups"
LOCAL_QDRANT_NOTE = (
    "Qdrant local mode is not copied: knowledge is derived from the packs. After a restore run "
    "`truffles knowledge sync packs/<tenant>` for each tenant (the packs' versions are in pack_versions)."
)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    b = subparsers.add_parser("backup", help="back up the database (+ Qdrant snapshots) into a new folder")
    b.add_argument("--out", help=f"new folder to write (default {DEFAULT_BACKUP_ROOT}/<UTC time>)")
    _common(b)
    b.add_argument("--packs", default=None, help="packs folder whose versions go into the manifest "
                   "(default $TRUFFLES_PACKS_DIR or packs)")  # fmt: skip
    b.set_defaults(handler=_backup)
    r = subparsers.add_parser("restore", help="restore a backup folder, then verify counts and checksums")
    r.add_argument("folder", help="a folder written by `truffles backup`")
    _common(r)
    r.add_argument("--force", action="store_true", help="replace a non-empty target database (all its data)")
    r.set_defaults(handler=_restore)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="default $TRUFFLES_DATABASE_URL or sqlite:///var/truffles.db")
    p.add_argument("--qdrant-url", help="Qdrant server (default $QDRANT_URL; unset = local mode)")


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _pack_versions(packs_dir: str) -> dict[str, str]:
    from workers.tenants import compile_pack_dir, discover_packs

    versions: dict[str, str] = {}
    for path in discover_packs(packs_dir):
        try:
            pack = compile_pack_dir(path)
        except Exception as exc:  # a broken pack must not stop a backup of the database
            print(f"truffles: {path}: pack not compiled ({type(exc).__name__}); version not recorded",
                  file=sys.stderr)  # fmt: skip
            continue
        versions[pack.tenant_id] = pack.version
    return versions


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MiB" if n >= 1_048_576 else f"{n / 1024:.1f} KiB"


def _backup(args: argparse.Namespace) -> int:
    import time

    from storage.backup import backup_database
    from storage.backup_manifest import BackupError
    from storage.db import database_url_from_env

    started = time.monotonic()
    url = args.database_url or database_url_from_env()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    folder = Path(args.out or f"{DEFAULT_BACKUP_ROOT}/{stamp}")
    packs_dir = args.packs or os.environ.get("TRUFFLES_PACKS_DIR") or "packs"
    try:
        versions = _pack_versions(packs_dir) if Path(packs_dir).is_dir() else {}
        qdrant_url = args.qdrant_url or os.environ.get("QDRANT_URL") or None
        manifest = backup_database(url, folder, git_commit=_git_commit(), pack_versions=versions,
                                   qdrant=_qdrant_backup(qdrant_url))  # fmt: skip
    except BackupError as exc:
        print(f"truffles: backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(t.rows for t in manifest.tables.values())
    print(f"backup written to {folder} in {time.monotonic() - started:.2f} s")
    print(f"  {manifest.backend} {manifest.server_version or ''}".rstrip()
          + f", alembic {manifest.alembic_revision}, {len(manifest.tables)} tables, {rows} rows, "
          f"dump {_size(manifest.dump.bytes)}")  # fmt: skip
    print(f"  packs: {', '.join(f'{t} {v}' for t, v in sorted(manifest.pack_versions.items())) or 'none'}")
    print(f"  qdrant: {manifest.qdrant.mode}" + (f" ({len(manifest.qdrant.snapshots)} snapshots)"
          if manifest.qdrant.mode == "server" else f" — {manifest.qdrant.note}"))  # fmt: skip
    return 0


def _qdrant_backup(url: str | None) -> QdrantPart | Callable[[Path], QdrantPart]:
    from storage.backup_manifest import QdrantPart

    if not url:
        return QdrantPart(mode="local", note=LOCAL_QDRANT_NOTE)
    from retrieval.backup import backup_qdrant  # imports the retrieval stack: only for a server

    return lambda folder: backup_qdrant(url, folder)


def _restore(args: argparse.Namespace) -> int:
    from storage.backup import restore_database
    from storage.backup_manifest import BackupError
    from storage.db import database_url_from_env

    url = args.database_url or database_url_from_env()
    folder = Path(args.folder)
    try:
        report = restore_database(folder, url, force=args.force)
        qdrant_url = args.qdrant_url or os.environ.get("QDRANT_URL") or None
        restored: list[str] = []
        if report.ok and report.manifest.qdrant.mode == "server":
            from retrieval.backup import restore_qdrant

            restored = restore_qdrant(report.manifest.qdrant, qdrant_url, folder)
    except BackupError as exc:
        print(f"truffles: restore refused: {exc}", file=sys.stderr)
        return 1
    manifest = report.manifest
    if not report.ok:
        print(f"truffles: restored {folder}, but verification FAILED ({len(report.problems)} problems):",
              file=sys.stderr)  # fmt: skip
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    rows = sum(t.rows for t in manifest.tables.values())
    print(f"restored {folder} in {report.seconds:.2f} s: {len(manifest.tables)} tables, {rows} rows; "
          f"counts and checksums match the manifest (alembic {manifest.alembic_revision})")  # fmt: skip
    if restored:
        print(f"  qdrant: {len(restored)} collections restored from snapshots")
    elif manifest.qdrant.mode == "local":
        print("  qdrant (local mode, derived data): rebuild it with")
        for tenant in sorted(manifest.pack_versions):
            print(f"    truffles knowledge sync packs/{tenant}")
    return 0
