"""Errors raised while loading, linting and compiling packs."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["PackError", "PackInvalid", "Problem", "Severity"]

Severity = Literal["error", "warning"]


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a pack, located as precisely as the source allows."""

    file: str
    line: int = 0
    column: int = 0
    path: str = "$"
    message: str
    severity: Severity = "error"
    code: str = "schema"

    def render(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.severity}[{self.code}] {self.path}: {self.message}"


class PackError(Exception):
    """Root of every pack error."""


class PackInvalid(PackError):
    """A pack has one or more errors; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        head = "\n".join(p.render() for p in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"pack has {len(errors)} error(s):\n{head}{more}")
