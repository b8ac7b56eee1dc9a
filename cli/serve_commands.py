"""``truffles serve`` (API; in embedded mode also workers and the ChatFlow emulator), ``truffles worker``
(production workers on Redis) and ``truffles demo-conversation`` (three messages through the real path).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    s = subparsers.add_parser("serve", help="run the web service (embedded: + workers + ChatFlow emulator)")
    s.add_argument("--host", help="bind address (default $TRUFFLES_HOST or 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default $TRUFFLES_PORT or 8000)")
    s.add_argument("--no-migrate", action="store_true", help="do not run migrations on start")
    s.set_defaults(handler=_serve)
    w = subparsers.add_parser("worker", help="run workers (process_conversation, send_outbox, sweeper)")
    w.add_argument("--threads", type=int, help="worker threads (default $TRUFFLES_WORKER_THREADS or 8)")
    w.add_argument("--no-migrate", action="store_true", help="do not run migrations on start")
    w.add_argument("--metrics-port", type=int, help="serve this worker's Prometheus /metrics (X-Admin-Token)")
    w.set_defaults(handler=_worker)
    d = subparsers.add_parser(
        "demo-conversation",
        help="send the live-smoke messages through webhook → worker → outbox → emulator, print the replies",
    )
    d.add_argument("--pack", default="demo_salon", help="tenant id of a pack under $TRUFFLES_PACKS_DIR")
    d.add_argument("--phone", default="77011234567")
    d.set_defaults(handler=_demo)


def _serve(args: argparse.Namespace) -> int:
    from cli import serve_impl

    return serve_impl.serve(args)


def _worker(args: argparse.Namespace) -> int:
    from cli import serve_impl

    return serve_impl.worker(args)


def _demo(args: argparse.Namespace) -> int:
    from cli import serve_impl

    return serve_impl.demo(args)
