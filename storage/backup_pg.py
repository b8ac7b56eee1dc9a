"""PostgreSQL dumps with ``pg_dump``/``pg_restore`` (custom format) from the server's own major version.

The tools are looked up in ``$TRUFFLES_PG_BIN``, then ``/usr/lib/postgresql/<major>/bin`` (Debian's
layout, one folder per major version), then ``PATH``; a tool older than the server is refused
(``pg_dump`` cannot dump a newer server). Connection details reach the tools through libpq's
environment variables, so a password never appears on a command line.

The dump and the manifest's checksums read the same data: the checksums are computed inside a
``REPEATABLE READ`` transaction whose snapshot is exported and handed to ``pg_dump --snapshot``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, make_url

from storage.backup_checksums import table_stats
from storage.backup_manifest import BackupError, TableStat

__all__ = [
    "PG_BIN_ENV",
    "TOOL_TIMEOUT_SECONDS",
    "dump_postgres",
    "find_pg_tool",
    "public_tables",
    "restore_postgres",
]

PG_BIN_ENV = "TRUFFLES_PG_BIN"
TOOL_TIMEOUT_SECONDS = 3600.0
"""A dump or restore that takes longer than this is stopped (and reported)."""
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    found = _VERSION.search(out.stdout)
    return int(found.group(1)) if found else None


def find_pg_tool(name: str, server_major: int, environ: Mapping[str, str] | None = None) -> str:
    """The path of ``name`` (``pg_dump``/``pg_restore``) for a server of ``server_major``."""
    env = environ if environ is not None else os.environ
    candidates: list[str] = []
    if env.get(PG_BIN_ENV):
        candidates.append(str(Path(env[PG_BIN_ENV]) / name))
    candidates.append(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    seen: list[str] = []
    for candidate in candidates:
        if not Path(candidate).is_file():
            continue
        major = _tool_major(candidate)
        seen.append(f"{candidate} (PostgreSQL {major})")
        if major is not None and major >= server_major:
            return candidate
    looked = ", ".join(seen) if seen else "nothing found in " + ", ".join(candidates)
    raise BackupError(
        f"{name} for PostgreSQL {server_major} not found ({looked}). Fix: apt-get install "
        f"postgresql-client-{server_major}, or set {PG_BIN_ENV} to the folder that holds {name} "
        f"version {server_major} or newer"
    )


def _libpq_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    for option, key in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        found = url.query.get(option)
        if isinstance(found, str):
            env[key] = found
    return env


def _run(args: list[str], url: URL, what: str) -> None:
    try:
        done = subprocess.run(
            args,
            env=_libpq_env(url),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(
            f"{what} did not finish within {TOOL_TIMEOUT_SECONDS:.0f} s and was stopped"
        ) from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise BackupError(f"{what} failed (exit {done.returncode}):\n{tail}")


def _server_major(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        number = int(conn.execute(text("SHOW server_version_num")).scalar_one())
        version = str(conn.execute(text("SHOW server_version")).scalar_one())
    return number // 10000, version


def dump_postgres(engine: Engine, target: Path) -> tuple[dict[str, TableStat], str, str | None]:
    """Dump to ``target``; returns (table stats of the dumped snapshot, server version, alembic revision)."""
    from alembic.runtime.migration import MigrationContext

    url = make_url(engine.url)
    major, version = _server_major(engine)
    tool = find_pg_tool("pg_dump", major)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            _run(
                [tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 f"--file={target}", str(url.database)],
                url,
                "pg_dump",
            )  # fmt: skip
            stats = table_stats(conn)
            revision = MigrationContext.configure(conn).get_current_revision()
    return stats, version, revision


def public_tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(inspect(conn).get_table_names(schema="public"))


def restore_postgres(engine: Engine, dump: Path, *, force: bool) -> None:
    """Restore ``dump`` into the (empty, or with ``force`` wiped) database of ``engine``."""
    url = make_url(engine.url)
    major, _version = _server_major(engine)
    tool = find_pg_tool("pg_restore", major)
    existing = public_tables(engine)
    if existing and not force:
        shown = ", ".join(existing[:5]) + (" …" if len(existing) > 5 else "")
        raise BackupError(
            f"database {url.database!r} on {url.host}:{url.port or 5432} is not empty ({len(existing)} "
            f"tables: {shown}); restoring into it would mix two databases. Restore into an empty "
            "database, or pass --force to drop its public schema (all its data) first"
        )
    with engine.begin() as conn:
        if force:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS public"))
    engine.dispose()  # no pooled connection may hold a lock while pg_restore works
    _run(
        [tool, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
         f"--dbname={url.database}", str(dump)],
        url,
        "pg_restore",
    )  # fmt: skip
