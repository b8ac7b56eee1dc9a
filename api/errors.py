"""Errors of the web edge; each becomes an RFC 9457 problem-details response (see ``api.problems``).

Tenant and payload mistakes are 4xx; failures on our side that the provider should retry are 5xx.
"""

from __future__ import annotations

__all__ = ["BadPayload", "EdgeError", "Forbidden", "StoreFailed", "TenantNotFound", "Unauthorized"]


class EdgeError(Exception):
    """Root of the edge's errors: an HTTP status, a short title and a detail naming the fix."""

    status = 500
    title = "Internal error"
    type_slug = "internal"

    def __init__(self, detail: str, **extra: object) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(detail)


class TenantNotFound(EdgeError):
    status = 404
    title = "Unknown tenant"
    type_slug = "unknown-tenant"


class Unauthorized(EdgeError):
    status = 401
    title = "Bad or missing secret"
    type_slug = "unauthorized"


class Forbidden(EdgeError):
    status = 403
    title = "Not allowed"
    type_slug = "forbidden"


class BadPayload(EdgeError):
    status = 400
    title = "Malformed webhook payload"
    type_slug = "bad-payload"


class StoreFailed(EdgeError):
    """The message could not be stored: 503 so the provider re-delivers it later."""

    status = 503
    title = "Temporarily unable to store the message"
    type_slug = "store-failed"
