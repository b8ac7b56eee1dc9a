"""The embedded SQLite file: copied and restored with SQLite's online backup API (page by page,
consistent even while the service writes), never with a file copy that could catch half a write."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from storage.backup_checksums import table_stats
from storage.backup_manifest import BackupError, TableStat

__all__ = ["dump_sqlite", "restore_sqlite", "sqlite_file", "sqlite_stats", "sqlite_tables"]


def sqlite_file(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up: point the URL at a file")
    return Path(database)


def sqlite_tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return sorted(str(r[0]) for r in rows)


def sqlite_stats(path: Path) -> tuple[dict[str, TableStat], str | None]:
    """(table stats, alembic revision) of the SQLite file at ``path``, read-only."""
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            stats = table_stats(conn)
            revision = None
            if "alembic_version" in stats:
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()
    return stats, revision


def _copy(source: Path, target: Path) -> None:
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def dump_sqlite(source: Path, target: Path) -> tuple[dict[str, TableStat], str | None]:
    """Copy ``source`` to ``target``; returns the copy's (table stats, alembic revision)."""
    if not source.is_file():
        raise BackupError(f"{source}: no such SQLite file (check TRUFFLES_DATABASE_URL or --database-url)")
    _copy(source, target)
    with closing(sqlite3.connect(target)) as conn:  # a self-contained file: no -wal beside it
        conn.execute("PRAGMA journal_mode=DELETE")
    return sqlite_stats(target)


def restore_sqlite(copy: Path, target: Path, *, force: bool) -> None:
    """Write the backup ``copy`` over ``target`` (which must be empty unless ``force``)."""
    existing = sqlite_tables(target)
    if existing and not force:
        raise BackupError(
            f"{target} is not empty ({len(existing)} tables); restoring would overwrite it. Restore to a "
            "new file, or pass --force to replace its contents (stop the service first)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(copy, target)
