"""Run an emulator (or any ASGI app) with uvicorn: in the foreground, or in a background thread."""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from channels._asgi import ASGIApp

__all__ = ["run_app", "serve_in_thread"]

STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_GRACE_SECONDS = 1


def _config(
    app: ASGIApp, host: str, port: int, log_level: str, *, own_logging: bool = True
) -> uvicorn.Config:
    """``own_logging=False``: leave the process's logging alone (a server inside another program)."""
    extra: dict[str, Any] = {} if own_logging else {"log_config": None}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        ws="none",
        lifespan="on",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        **extra,
    )


def run_app(app: ASGIApp, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve ``app`` until interrupted (Ctrl-C)."""
    uvicorn.Server(_config(app, host, port, log_level)).run()


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a background thread; yields its base URL (``http://127.0.0.1:<port>``).

    ``port=0`` picks a free ephemeral port. The server stops when the block exits.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # In-process (the embedded emulator, tests): uvicorn must not replace the host's log handlers.
    server = uvicorn.Server(_config(app, host, bound_port, "warning", own_logging=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"the emulator server on {host}:{bound_port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_GRACE_SECONDS + 5)
        sock.close()


def emulator_main(
    description: str, make_app: Callable[[], ASGIApp], default_port: int, argv: list[str] | None = None
) -> None:
    """``python -m channels.<provider>.emulator [--host H] [--port P]``: serve a fresh emulator."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args(argv)
    run_app(make_app(), host=args.host, port=args.port)
