from __future__ import annotations

from tests.e2e.fixtures import (  # noqa: F401  (fixtures)
    anyio_backend,
    embedded_backend,
    sqlite_template,
)
