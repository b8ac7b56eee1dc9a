"""``truffles``: one console script, one subcommand module per concern.

To add commands, write ``cli/<name>_commands.py`` exposing ``register(subparsers)`` (each parser sets
``handler=`` to a function taking the parsed arguments and returning the exit code), then add one
import line and one entry in ``COMMANDS`` below.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cli import (
    backup_commands,
    calibrate_commands,
    dashboard_commands,
    engine_commands,
    eval_commands,
    isolation_commands,
    knowledge_commands,
    pack_commands,
    serve_commands,
    telegram_commands,
)

__all__ = ["COMMANDS", "build_parser", "main"]

EXIT_INTERNAL = 2


class CommandModule(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[Any]) -> None: ...


COMMANDS: tuple[CommandModule, ...] = (
    pack_commands,
    eval_commands,
    engine_commands,
    calibrate_commands,
    isolation_commands,
    knowledge_commands,
    serve_commands,
    dashboard_commands,
    telegram_commands,
    backup_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="truffles", description="Truffles: packs, evals and services.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (0 ok, 1 problems found, 2 usage or internal error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error or the help
        return exc.code if isinstance(exc.code, int) else EXIT_INTERNAL
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_INTERNAL
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("truffles: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("TRUFFLES_DEBUG"):
            traceback.print_exc()
        print(
            f"truffles: internal error: {type(exc).__name__}: {exc} — please report this bug "
            "(set TRUFFLES_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
