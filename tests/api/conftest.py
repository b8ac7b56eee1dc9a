from __future__ import annotations

from tests.e2e.fixtures import (  # noqa: F401  (fixtures)
    anyio_backend,
    backend,
    embedded_backend,
    pg_db,
    production_backend,
    service,
    sqlite_template,
)
