"""Retrieval errors: one root, data kept on the exception, messages that name the fix."""

from __future__ import annotations

__all__ = [
    "MissingExtra",
    "RetrievalError",
    "StaleIndex",
    "StoreLocked",
    "TenantMismatch",
]


class RetrievalError(Exception):
    """Root of every error raised by ``retrieval``."""


class StoreLocked(RetrievalError):
    """Qdrant local mode: another process (or client) already owns the on-disk store."""

    def __init__(self, path: str, cause: BaseException) -> None:
        self.path = path
        super().__init__(
            f"Qdrant store {path!r} is locked by another process: Qdrant local mode takes an exclusive "
            "lock, so only one process may own a path. Stop the other process (`truffles serve`, a "
            "worker, another `truffles knowledge sync`), give this one its own --store path, or run a "
            "Qdrant server and set QDRANT_URL (compose.yaml has one)."
        )
        self.__cause__ = cause


class TenantMismatch(RetrievalError):
    """A store scoped to one tenant was handed a pack (or nodes) of another."""

    def __init__(self, store_tenant: str, other_tenant: str, what: str) -> None:
        self.store_tenant = store_tenant
        self.other_tenant = other_tenant
        super().__init__(
            f"{what} belongs to tenant {other_tenant!r} but the store is scoped to {store_tenant!r}: "
            f"open the store with tenant_id={other_tenant!r} (one store per tenant, fixed at construction)"
        )


class StaleIndex(RetrievalError):
    """The tenant's collection was built from other knowledge than the pack now holds."""

    def __init__(self, tenant: str, indexed: str, current: str) -> None:
        self.tenant = tenant
        self.indexed = indexed
        self.current = current
        super().__init__(
            f"knowledge index of tenant {tenant!r} is {'empty' if not indexed else f'at corpus {indexed}'}"
            f", the pack's knowledge is at corpus {current}: run `truffles knowledge sync packs/{tenant}`"
        )


class MissingExtra(RetrievalError):
    """An optional dependency (e.g. the OpenAI-like LLM client) is not installed."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.package = package
        super().__init__(
            f"{feature} needs the optional package {package!r}: install it with "
            f"`uv sync --extra {extra}` (or `pip install 'truffles[{extra}]'`)"
        )
