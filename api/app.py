"""The Litestar application: webhooks, admin, OpenAPI (``/schema``), problem-details errors."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from http import HTTPStatus

from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from api.admin import ADMIN_HANDLERS, build_info
from api.auth import admin_token
from api.edge import EdgePorts
from api.errors import EdgeError
from api.fast_webhook import ChatflowFastPath
from api.media import media_file
from api.problems import PROBLEM_TYPE_BASE, edge_problem_body
from api.telegram_webhook import telegram_webhook
from api.webhooks import WEBHOOK_HANDLERS, EdgeState
from workers.runtime import Runtime

__all__ = ["PROBLEM_TYPE_BASE", "create_app"]

log = logging.getLogger("truffles.api")


def _edge_problem(exc: EdgeError) -> ProblemDetailsException:
    body = edge_problem_body(exc)  # the same members the hot path (api.fast_webhook) sends
    core = ("status", "type", "title", "detail")
    return ProblemDetailsException(
        detail=body["detail"],
        status_code=body["status"],
        title=body["title"],
        type_=body["type"],
        extra={k: v for k, v in body.items() if k not in core},
    )


def _http_problem(exc: HTTPException) -> ProblemDetailsException:
    if exc.status_code >= 500:
        log.error("HTTP %s: %s", exc.status_code, exc.detail)
    else:
        log.warning("HTTP %s: %s", exc.status_code, exc.detail)
    return ProblemDetailsException(
        detail=exc.detail,
        status_code=exc.status_code,
        title=HTTPStatus(exc.status_code).phrase,  # every problem has a title, as /schema promises
        headers=exc.headers,
    )


def create_app(
    rt: Runtime,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] | None = None,
    debug: bool = False,
) -> Litestar:
    """The web edge over ``rt``. The admin token is read from ``rt.settings.admin_token_env``."""
    env = os.environ if environ is None else environ
    ports = EdgePorts(rt, clock=clock) if clock is not None else EdgePorts(rt)
    edge = EdgeState(rt, ports, admin_token(rt.settings.admin_token_env, env))
    problems = ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={EdgeError: _edge_problem, HTTPException: _http_problem},
        )
    )
    app = Litestar(
        route_handlers=[*WEBHOOK_HANDLERS, telegram_webhook, media_file, *ADMIN_HANDLERS],
        plugins=[problems],
        openapi_config=OpenAPIConfig(title="Truffles", version="0.1.0", path="/schema"),
        request_max_body_size=rt.settings.max_body_bytes,
        state=State({"edge": edge, "build_info": build_info()}),
        on_shutdown=[edge.close],
        debug=debug,
        logging_config=None,  # the process (CLI, tests) owns logging configuration
    )
    app.asgi_handler = ChatflowFastPath(app.asgi_handler, edge)
    return app
