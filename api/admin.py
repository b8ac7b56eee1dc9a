"""Admin routes (``X-Admin-Token``, constant-time) and the open liveness route."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from litestar import MediaType, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery, QueryParameter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.auth import check_admin_token
from api.errors import BadPayload
from api.problems import problem_responses
from api.stats import TenantStats, ping_database
from api.webhooks import EdgeState
from workers.pack_reload import reload_now
from workers.runtime import Runtime

__all__ = ["ADMIN_HANDLERS", "admin_guard", "build_info"]

ADMIN_HEADER = "X-Admin-Token"
_STARTED = datetime.now(UTC).isoformat()


def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    edge: EdgeState = connection.app.state.edge
    check_admin_token(
        edge.admin_token, connection.headers.get(ADMIN_HEADER), env_name=edge.rt.settings.admin_token_env
    )


def build_info() -> dict[str, str]:
    """Git commit and build time: from the image's env (``TRUFFLES_GIT_COMMIT``/``_BUILD_TIME``) or git."""
    commit = os.environ.get("TRUFFLES_GIT_COMMIT", "")
    if not commit:
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=2,
                cwd=Path(__file__).resolve().parent.parent,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            commit = ""
    return {"git_commit": commit or "unknown", "build_time": os.environ.get("TRUFFLES_BUILD_TIME", _STARTED)}


ADMIN_PROBLEMS = problem_responses(401, 403)
"""Admin routes: no or a wrong X-Admin-Token (401), or no token configured at all (403)."""
ADMIN_QUERY_PROBLEMS = problem_responses(400, 401, 403)


@get("/healthz", summary="Liveness (open)", media_type=MediaType.JSON)
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@get("/admin/version", guards=[admin_guard], summary="Build and pack versions", responses=ADMIN_PROBLEMS)
async def version(state: State) -> dict[str, Any]:
    edge: EdgeState = state.edge
    packs = {t.id: t.pack.version for t in edge.rt.tenants.all()}
    return {**state.build_info, "started_at": _STARTED, "packs": packs}


@get(
    "/admin/health",
    guards=[admin_guard],
    summary="Database, Redis, queues, outbox backlog",
    responses=ADMIN_PROBLEMS,
)
async def health(state: State) -> Response[dict[str, Any]]:
    edge: EdgeState = state.edge
    report = await anyio.to_thread.run_sync(_health, edge.rt)
    ok = report["database"] == "ok" and report["redis"] in ("ok", "not configured")
    return Response(report, status_code=200 if ok else 503)


def _health(rt: Runtime) -> dict[str, Any]:
    redis_state = "not configured"
    if rt.redis is not None:
        try:
            redis_state = "ok" if rt.redis.ping() else "down"
        except Exception as exc:
            redis_state = f"down: {type(exc).__name__}"
    database = ping_database(rt.db.session_factory)
    try:
        depths: dict[str, int] | str = rt.queue.depths()
    except Exception as exc:
        depths = f"unknown: {type(exc).__name__}"
    now = rt.now()
    tenants: dict[str, Any] = {}
    if database == "ok":
        tenants = {t.id: TenantStats(rt.db.session_factory, t.id).health(now) for t in rt.tenants.all()}
    return {
        "database": database,
        "redis": redis_state,
        "broker": rt.settings.broker,
        "queues": depths,
        "tenants": tenants,
    }


@get(
    "/admin/metrics",
    guards=[admin_guard],
    summary="Daily counts, SLA p50/p90, rates, outbox stats",
    responses=ADMIN_QUERY_PROBLEMS,
)
async def day_metrics(
    state: State,
    tenant: FromQuery[str],
    day: Annotated[str | None, QueryParameter(name="date", required=False)] = None,
) -> dict[str, Any]:
    edge: EdgeState = state.edge
    runtime = edge.rt.tenants.find(tenant)
    if runtime is None:
        raise BadPayload(
            f"tenant={tenant[:64]!r} is not served here; known: {', '.join(edge.rt.tenants.ids())}"
        )
    try:
        when = date.fromisoformat(day) if day else edge.rt.now().date()
    except ValueError:
        raise BadPayload(f"date={(day or '')[:40]!r} is not YYYY-MM-DD") from None
    if when >= date.max:  # the day's end (start + 1 day) would overflow
        raise BadPayload(f"date={day!r} is out of range: give a day before {date.max.isoformat()}")
    stats = TenantStats(edge.rt.db.session_factory, runtime.id)
    return await anyio.to_thread.run_sync(stats.day, when)


@get("/metrics", guards=[admin_guard], summary="Prometheus metrics of this process", responses=ADMIN_PROBLEMS)
async def prometheus(state: State) -> Response[bytes]:
    edge: EdgeState = state.edge
    return Response(generate_latest(edge.rt.telemetry.registry), media_type=CONTENT_TYPE_LATEST)


@post(
    "/admin/packs/reload",
    guards=[admin_guard],
    status_code=200,
    summary="Serve edited packs now",
    responses=ADMIN_QUERY_PROBLEMS,
)
async def reload_packs(state: State, force: FromQuery[bool] = False) -> dict[str, Any]:
    """Check every pack folder now; per tenant: ``old_version`` → ``new_version``, or the pack's errors.

    A pack with errors is not served: its tenant keeps the previous pack. ``force`` recompiles every
    folder even when its content did not change. Other processes on the same Redis check at their next tick.
    """
    edge: EdgeState = state.edge
    results = await anyio.to_thread.run_sync(lambda: reload_now(edge.rt, force=force))
    tenants = {
        r.tenant: {
            "status": r.status,
            "old_version": r.old_version,
            "new_version": r.new_version,
            "errors": r.errors,
            "folder": r.folder,
            "seconds": round(r.seconds, 4),
        }
        for r in results
    }
    counts = {
        s: sum(r.status == s for r in results) for s in ("reloaded", "failed", "unchanged", "not_served")
    }
    return {"tenants": tenants, **counts}


ADMIN_HANDLERS = [liveness, version, health, day_metrics, prometheus, reload_packs]
