"""Per-table row counts and content checksums: what a restore must reproduce exactly.

Every table of the database (reflected, ``alembic_version`` included) is read in primary-key order;
each row is encoded as canonical JSON (columns in table order, object keys sorted, UUIDs and
timestamps as ISO strings, bytes as base64) and fed to SHA-256. The same data read from the same
backend gives the same digest, whatever the physical order of the rows.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from sqlalchemy import Connection, MetaData, Table, select

from storage.backup_manifest import TableStat

__all__ = ["compare_stats", "table_stats"]

_ROWS_PER_FETCH = 2000
_encoder = msgspec.json.Encoder(order="sorted")


def _ordered(table: Table) -> Any:
    keys = list(table.primary_key.columns) or list(table.columns)
    return select(*table.columns).order_by(*keys)


def table_stats(connection: Connection) -> dict[str, TableStat]:
    """Counts and checksums of every table visible on ``connection`` (inside its transaction)."""
    metadata = MetaData()
    metadata.reflect(connection)
    stats: dict[str, TableStat] = {}
    for name in sorted(metadata.tables):
        digest = hashlib.sha256()
        rows = 0
        result = connection.execution_options(stream_results=True).execute(_ordered(metadata.tables[name]))
        for partition in result.partitions(_ROWS_PER_FETCH):
            for row in partition:
                digest.update(_encoder.encode(list(row)))
                digest.update(b"\n")
                rows += 1
        stats[name] = TableStat(rows=rows, sha256=digest.hexdigest())
    return stats


def compare_stats(expected: dict[str, TableStat], actual: dict[str, TableStat]) -> list[str]:
    """Every difference, one line each (empty: the restore is exact)."""
    problems: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            problems.append(f"table {name}: present after restore but not in the backup")
        elif got is None:
            problems.append(f"table {name}: missing after restore ({want.rows} rows expected)")
        elif want.rows != got.rows:
            problems.append(f"table {name}: {got.rows} rows, the backup has {want.rows}")
        elif want.sha256 != got.sha256:
            problems.append(
                f"table {name}: content checksum differs ({got.sha256[:12]} != {want.sha256[:12]})"
            )
    return problems
