"""``truffles backup`` / ``truffles restore`` for the database: a folder with a dump and a manifest.

Typical use::

    manifest = backup_database(url, Path("var/backups/2026-11-25T2300Z"), git_commit=..., pack_versions=...)
    report = restore_database(Path("var/backups/2026-11-25T2300Z"), url, force=False)
    assert report.ok, report.problems

A restore refuses a folder whose manifest is missing or damaged, or whose dump does not match the
size and checksum the manifest recorded; it refuses a non-empty target unless ``force``; after
restoring it recomputes every table's row count and checksum and reports each difference.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.backup_checksums import compare_stats, table_stats
from storage.backup_manifest import (
    BackupError,
    DumpFile,
    Manifest,
    QdrantPart,
    TableStat,
    file_sha256,
    read_manifest,
    verify_file,
    write_manifest,
)
from storage.backup_pg import dump_postgres, restore_postgres
from storage.backup_sqlite import dump_sqlite, restore_sqlite, sqlite_file, sqlite_stats
from storage.db import make_engine

__all__ = ["PG_DUMP_NAME", "SQLITE_DUMP_NAME", "RestoreReport", "backup_database", "restore_database",
           "verify_database"]  # fmt: skip

PG_DUMP_NAME = "database.pgdump"
SQLITE_DUMP_NAME = "database.sqlite3"


@dataclass(frozen=True, slots=True)
class RestoreReport:
    manifest: Manifest
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _backend(url: str | URL) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"database backend {name!r} cannot be backed up: use PostgreSQL or SQLite")
    return name


def _new_folder(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} already exists and is not empty: choose a new --out folder")
    folder.mkdir(parents=True, exist_ok=True)


def backup_database(
    url: str | URL,
    folder: Path,
    *,
    git_commit: str | None = None,
    pack_versions: dict[str, str] | None = None,
    qdrant: QdrantPart | Callable[[Path], QdrantPart] | None = None,
    now: datetime | None = None,
) -> Manifest:
    """Dump the database at ``url`` into the new ``folder`` and write its manifest (last).

    ``qdrant`` is the vector store's part, or a function that writes it into the folder after the dump.
    """
    backend = _backend(url)
    _new_folder(folder)
    server_version: str | None = None
    if backend == "postgresql":
        target = folder / PG_DUMP_NAME
        engine = make_engine(url)
        try:
            stats, server_version, revision = dump_postgres(engine, target)
        finally:
            engine.dispose()
    else:
        target = folder / SQLITE_DUMP_NAME
        stats, revision = dump_sqlite(sqlite_file(url), target)
    manifest = Manifest(
        created_at=now or datetime.now(UTC),
        git_commit=git_commit,
        alembic_revision=revision,
        backend="postgresql" if backend == "postgresql" else "sqlite",
        server_version=server_version,
        dump=DumpFile(name=target.name, bytes=target.stat().st_size, sha256=file_sha256(target)),
        tables=stats,
        pack_versions=dict(pack_versions or {}),
        qdrant=(qdrant(folder) if callable(qdrant) else qdrant) or QdrantPart(mode="none"),
    )
    write_manifest(folder, manifest)
    return manifest


def current_stats(url: str | URL) -> tuple[dict[str, TableStat], str | None]:
    """(table stats, alembic revision) of the database at ``url`` as it is now."""
    if _backend(url) == "sqlite":
        return sqlite_stats(sqlite_file(url))
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return table_stats(conn), MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def verify_database(url: str | URL, manifest: Manifest) -> list[str]:
    """Every difference between the database at ``url`` and the manifest (empty: identical)."""
    stats, revision = current_stats(url)
    problems = compare_stats(manifest.tables, stats)
    if revision != manifest.alembic_revision:
        problems.insert(0, f"alembic revision {revision!r}, the backup has {manifest.alembic_revision!r}")
    return problems


def restore_database(folder: Path, url: str | URL, *, force: bool = False) -> RestoreReport:
    """Check the folder, restore its dump into ``url``, then verify counts and checksums."""
    started = time.monotonic()
    manifest = read_manifest(folder)
    backend = _backend(url)
    if backend != manifest.backend:
        raise BackupError(
            f"{folder} holds a {manifest.backend} backup and {make_url(url).render_as_string()} is "
            f"{backend}: restore into a {manifest.backend} database"
        )
    dump = verify_file(folder, manifest.dump.name, manifest.dump.bytes, manifest.dump.sha256, "database dump")
    if backend == "postgresql":
        engine = make_engine(url)
        try:
            restore_postgres(engine, dump, force=force)
        finally:
            engine.dispose()
    else:
        restore_sqlite(dump, sqlite_file(url), force=force)
    problems = verify_database(url, manifest)
    return RestoreReport(manifest=manifest, problems=problems, seconds=time.monotonic() - started)
