"""The manifest of a backup folder (``manifest.json``): what was saved and how to check a restore.

A backup folder holds the database dump (``database.pgdump``, PostgreSQL custom format, or
``database.sqlite3``, a page copy made with SQLite's online backup API), optional Qdrant snapshots,
and this manifest. Per-table row counts and content checksums are computed from the same snapshot
the dump was taken from, ordered by primary key, so a restore can prove it brought back every row.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Literal

import msgspec

from storage.errors import StorageError

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "BackupError",
    "DumpFile",
    "Manifest",
    "QdrantPart",
    "SnapshotFile",
    "TableStat",
    "file_sha256",
    "read_manifest",
    "verify_file",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
_CHUNK = 1 << 20


class BackupError(StorageError):
    """A backup could not be made, or a backup folder cannot be restored (the message names the fix)."""


class _Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class TableStat(_Strict, frozen=True, kw_only=True):
    rows: int
    sha256: str
    """SHA-256 over the table's rows in primary-key order, each row canonically JSON-encoded."""


class DumpFile(_Strict, frozen=True, kw_only=True):
    name: str
    bytes: int
    sha256: str


class SnapshotFile(_Strict, frozen=True, kw_only=True):
    collection: str
    name: str
    bytes: int
    sha256: str


class QdrantPart(_Strict, frozen=True, kw_only=True):
    mode: Literal["server", "local", "none"]
    snapshots: list[SnapshotFile] = []
    note: str = ""


class Manifest(_Strict, frozen=True, kw_only=True):
    created_at: datetime
    git_commit: str | None
    alembic_revision: str | None
    backend: Literal["postgresql", "sqlite"]
    server_version: str | None = None
    dump: DumpFile
    tables: dict[str, TableStat]
    pack_versions: dict[str, str] = {}
    qdrant: QdrantPart = QdrantPart(mode="none")
    format: int = MANIFEST_FORMAT


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    path = folder / MANIFEST_NAME
    path.write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n")
    return path


def read_manifest(folder: Path) -> Manifest:
    """The folder's manifest; :class:`BackupError` when it is missing, unreadable or of another format."""
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such backup folder (make one with `truffles backup --out {folder}`)")
    if not path.is_file():
        raise BackupError(
            f"{path}: missing. A backup folder without its manifest cannot be verified, so it is not "
            "restored: use a complete folder written by `truffles backup`"
        )
    try:
        manifest = msgspec.json.decode(path.read_bytes(), type=Manifest)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BackupError(
            f"{path}: not a valid backup manifest ({exc}). It was damaged or edited: restore from an "
            "intact copy of the backup folder"
        ) from exc
    if manifest.format != MANIFEST_FORMAT:
        raise BackupError(
            f"{path}: manifest format {manifest.format} is not {MANIFEST_FORMAT}: restore it with the "
            "Truffles version that wrote it (see git_commit in the manifest)"
        )
    return manifest


def verify_file(folder: Path, name: str, size: int, sha256: str, what: str) -> Path:
    """The path of ``name`` in ``folder`` after checking it is there, whole and unchanged."""
    path = folder / name
    if not path.is_file():
        raise BackupError(f"{path}: the {what} named in the manifest is missing: the backup is incomplete")
    actual_size = path.stat().st_size
    if actual_size != size or file_sha256(path) != sha256:
        raise BackupError(
            f"{path}: the {what} is corrupted ({actual_size} bytes, the manifest says {size}; checksum "
            "differs): restore from an intact copy of the backup folder"
        )
    return path
