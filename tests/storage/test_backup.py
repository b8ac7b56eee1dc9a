"""Restore drill: seed → backup → wipe → restore → verify counts and checksums (PostgreSQL and SQLite).

Also: a damaged or incomplete backup folder, a non-empty target and a changed row are all refused
or reported, each with a message that names the fix.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import open_database, upgrade_to_head
from storage.backup import backup_database, restore_database, verify_database
from storage.backup_manifest import MANIFEST_NAME, BackupError, read_manifest
from storage.backup_pg import find_pg_tool
from tests.storage.backup_seed import Seeded, seed
from tests.storage.conftest import drop_postgres_database, ensure_postgres_database, postgres_url


@dataclass
class Drill:
    """A seeded database, its backup (``golden``, never modified) and how to wipe the database."""

    url: str
    golden: Path
    seeded: Seeded
    backup_seconds: float
    wipe: Callable[[], None]

    def copy(self, tmp_path: Path) -> Path:
        """A copy of the backup folder that a test may damage."""
        return Path(shutil.copytree(self.golden, tmp_path / "backup"))


def _pg_url() -> str:
    url = make_url(postgres_url())
    return url.set(database=f"{url.database}_backup").render_as_string(hide_password=False)


def _pg_wipe(url: str) -> Callable[[], None]:
    def wipe() -> None:
        db = open_database(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        db.dispose()

    return wipe


def _sqlite_wipe(path: Path) -> Callable[[], None]:
    def wipe() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return wipe


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def drill(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    """Seed once per backend (through the repositories) and back it up once."""
    root = tmp_path_factory.mktemp(f"drill-{request.param}")
    if request.param == "postgres":
        url = _pg_url()
        ensure_postgres_database(url)
        wipe = _pg_wipe(url)
        wipe()
    else:
        path = root / "live" / "truffles.db"
        url, wipe = f"sqlite:///{path}", _sqlite_wipe(path)
    db = open_database(url)
    try:
        if request.param == "postgres":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE SCHEMA IF NOT EXISTS public"))
        upgrade_to_head(db.engine)
        seeded = seed(db)
    finally:
        db.dispose()
    started = time.monotonic()
    backup_database(url, root / "golden", git_commit="abc123", pack_versions={"demo_salon": "v1"})
    yield Drill(url, root / "golden", seeded, time.monotonic() - started, wipe)
    if request.param == "postgres":
        drop_postgres_database(url)


def test_restore_drill_brings_back_every_row(drill: Drill) -> None:
    manifest = read_manifest(drill.golden)
    tables, seeded = manifest.tables, drill.seeded
    assert tables["tenants"].rows == seeded.tenants and tables["customers"].rows == seeded.customers
    assert tables["conversations"].rows == seeded.customers and tables["messages"].rows == seeded.messages
    assert tables["outbox"].rows == seeded.outbox and tables["handovers"].rows == seeded.handovers
    assert tables["booking_requests"].rows == seeded.bookings and tables["telegram_topics"].rows > 0
    assert tables["alembic_version"].rows == 1 and manifest.alembic_revision
    assert manifest.git_commit == "abc123" and manifest.pack_versions == {"demo_salon": "v1"}

    drill.wipe()  # what a disaster (or a careless DROP SCHEMA) does to the database
    report = restore_database(drill.golden, drill.url)
    assert report.ok, report.problems
    assert verify_database(drill.url, manifest) == []
    size = (drill.golden / manifest.dump.name).stat().st_size
    print(f"\ndrill {manifest.backend}: {sum(t.rows for t in tables.values())} rows, dump {size} bytes, "
          f"backup {drill.backup_seconds:.2f} s, restore + verify {report.seconds:.2f} s")  # fmt: skip


def test_a_non_empty_target_is_refused_unless_forced(drill: Drill) -> None:
    drill.wipe()
    assert restore_database(drill.golden, drill.url).ok
    with pytest.raises(BackupError, match=r"not empty.*--force"):
        restore_database(drill.golden, drill.url)
    db = open_database(drill.url)
    with db.engine.begin() as conn:  # a row changed after the backup: the forced restore undoes it
        conn.execute(text("UPDATE tenants SET display_name = 'changed'"))
    db.dispose()
    problems = verify_database(drill.url, read_manifest(drill.golden))
    assert problems and problems[0].startswith("table tenants: content checksum differs")
    report = restore_database(drill.golden, drill.url, force=True)
    assert report.ok, report.problems


def test_a_manifest_that_does_not_match_the_dump_fails_verification(drill: Drill, tmp_path: Path) -> None:
    folder = drill.copy(tmp_path)
    manifest_path = folder / MANIFEST_NAME
    data = json.loads(manifest_path.read_text())
    data["tables"]["messages"]["rows"] += 1
    manifest_path.write_text(json.dumps(data))
    drill.wipe()
    report = restore_database(folder, drill.url)
    messages = drill.seeded.messages
    assert report.problems == [f"table messages: {messages} rows, the backup has {messages + 1}"]


def test_damaged_or_incomplete_folders_are_refused(drill: Drill, tmp_path: Path) -> None:
    folder = drill.copy(tmp_path)
    manifest = read_manifest(folder)
    dump = folder / manifest.dump.name
    good = dump.read_bytes()
    drill.wipe()

    dump.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    with pytest.raises(BackupError, match=r"database dump is corrupted.*intact copy"):
        restore_database(folder, drill.url)
    dump.unlink()
    with pytest.raises(BackupError, match="database dump named in the manifest is missing"):
        restore_database(folder, drill.url)
    dump.write_bytes(good)
    (folder / MANIFEST_NAME).write_text('{"created_at": "2026-11-25T00:00:00Z", "backend": "sqlite"')
    with pytest.raises(BackupError, match="not a valid backup manifest"):
        restore_database(folder, drill.url)
    (folder / MANIFEST_NAME).unlink()
    with pytest.raises(BackupError, match=r"manifest\.json: missing"):
        restore_database(folder, drill.url)
    with pytest.raises(BackupError, match="no such backup folder"):
        restore_database(tmp_path / "nowhere", drill.url)


def test_a_missing_pg_tool_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"pg_dump for PostgreSQL 99 not found.*postgresql-client-99"):
        find_pg_tool("pg_dump", 99, {"TRUFFLES_PG_BIN": str(tmp_path)})
