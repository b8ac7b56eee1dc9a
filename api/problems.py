"""How the OpenAPI schema documents the edge's errors: RFC 9457 problem details, as they are sent.

Every 4xx/5xx leaves through Litestar's problem-details plugin (``api.app``) as
``application/problem+json``. Litestar's own schema would describe them as ``{status_code, detail}``
JSON, which a client generated from ``/schema`` would then fail to parse; each route lists its error
statuses with :func:`problem_responses` instead.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from api.errors import EdgeError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "ProblemDetails",
    "edge_problem_body",
    "problem_responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://truffles.dev/problems/"

_WHEN: dict[int, str] = {
    400: "malformed request: the detail names the bad value and the fix",
    401: "missing or wrong secret / admin token",
    403: "not allowed: the route is disabled or the link is invalid or expired",
    404: "unknown tenant or resource",
    413: "request body over the size limit",
    503: "temporarily unable to store the message; retry later",
}


class ProblemDetails(msgspec.Struct, kw_only=True):
    """An error response (RFC 9457); some carry more members, e.g. ``field`` for a bad payload."""

    status: int
    title: str
    detail: str
    type: str | None = None


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The ``responses=`` of a route handler: each status documented as problem details."""
    unknown = [s for s in statuses if s not in _WHEN]
    if unknown:
        raise ValueError(f"problem_responses{statuses}: no description for {unknown}; add it to _WHEN")
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_MEDIA_TYPE,
            description=f"{HTTPStatus(status).phrase}: {_WHEN[status]}",
            generate_examples=False,
        )
        for status in statuses
    }


def edge_problem_body(exc: EdgeError) -> dict[str, Any]:
    """The problem-details members of an edge error: status, type, title, detail, then its extras.

    The extras (e.g. ``field`` of a bad payload) are kept when they are JSON scalars.
    """
    body: dict[str, Any] = {
        "status": exc.status,
        "type": PROBLEM_TYPE_BASE + exc.type_slug,
        "title": exc.title,
        "detail": exc.detail,
    }
    body.update({k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool)})
    return body
