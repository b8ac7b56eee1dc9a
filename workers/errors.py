"""Errors of the service runtime (tenants, queues, turns): one root, data kept on the exception."""

from __future__ import annotations

__all__ = ["ServiceError", "UnknownTenant"]


class ServiceError(Exception):
    """Root of every error raised by :mod:`workers`."""


class UnknownTenant(ServiceError, LookupError):
    """A tenant id that this process does not serve."""

    def __init__(self, tenant_id: str, known: list[str]) -> None:
        self.tenant_id = tenant_id
        self.known = known
        shown = ", ".join(known) if known else "none"
        super().__init__(
            f"unknown tenant {tenant_id[:64]!r}: this service has no pack for it (serving: {shown}); "
            "add packs/<tenant>/tenant.yaml or fix the webhook URL"
        )
