"""``truffles dashboard``: the analysts' Streamlit dashboard (needs ``TRUFFLES_DASHBOARD_PASSWORD``)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_PORT", "register", "streamlit_command"]

DEFAULT_PORT = 8501
APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PASSWORD_ENV = "TRUFFLES_DASHBOARD_PASSWORD"


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "dashboard", help="the analysts' dashboard: batteries, calibration, try it, isolation, service health"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--address", default="127.0.0.1", help="interface to listen on (default: localhost only)")
    p.set_defaults(handler=_dashboard)


def streamlit_command(port: int, address: str) -> list[str]:
    """The ``streamlit run`` command line: headless, no usage statistics, no file watcher."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless=true",
        f"--server.port={port}",
        f"--server.address={address}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
    ]  # fmt: skip


def _dashboard(args: argparse.Namespace) -> int:
    if not os.environ.get(PASSWORD_ENV, "").strip():
        print(
            f"truffles: the dashboard is for staff and needs a password: set {PASSWORD_ENV}, e.g.\n"
            f"  export {PASSWORD_ENV}='a long random phrase'\n"
            "then run `truffles dashboard` again (analysts sign in with it).",
            file=sys.stderr,
        )
        return 2
    command = streamlit_command(args.port, args.address)
    print(f"truffles: dashboard on http://{args.address}:{args.port} (Ctrl-C to stop)", file=sys.stderr)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 130
