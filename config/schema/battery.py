"""Eval battery files: a YAML list of cases (also read under a top-level ``eval_cases``/``cases``).

Every field is documented in ``evals/README.md``. Unknown fields are errors.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from config.schema.base import ClockTime, NonEmpty, Strict

__all__ = ["Action", "Case", "Expected", "Turn"]

Action = Literal["reply", "escalate", "booking_flow", "clarify", "drop", "silent"]


class Expected(Strict, frozen=True, kw_only=True):
    """What a turn must look like. Text checks are case-insensitive substring checks."""

    action: Action | None = None
    intent: str | None = None
    reason: str | None = None
    must_include: list[str] = msgspec.field(default_factory=list)
    must_include_any: list[str] = msgspec.field(default_factory=list)
    must_not: list[str] = msgspec.field(default_factory=list)
    must_tell_user: list[str] = msgspec.field(default_factory=list)
    must_tell_user_any: list[str] = msgspec.field(default_factory=list)
    collect: list[str] = msgspec.field(default_factory=list)
    must_do: list[str] = msgspec.field(default_factory=list)
    optional: list[str] = msgspec.field(default_factory=list)
    booking_slots: list[str] = msgspec.field(default_factory=list)
    trace_contains: list[dict[str, Any]] = msgspec.field(default_factory=list)


class Turn(Strict, frozen=True, kw_only=True):
    user: NonEmpty
    expected: Expected | None = None


class Case(Strict, frozen=True, kw_only=True):
    """One eval case: exactly one of ``user``, ``turns`` or ``messages``."""

    id: NonEmpty
    user: str | None = None
    turns: list[NonEmpty | Turn] | None = None
    messages: list[NonEmpty] | None = None
    tier: NonEmpty = "full"
    local_time: ClockTime | None = None
    local_date: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    notes: str = ""
    expected: Expected | None = None

    def __post_init__(self) -> None:
        given = [name for name in ("user", "turns", "messages") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"case {self.id!r} needs exactly one of `user`, `turns`, `messages` (got {given or 'none'})"
            )
        if self.user is not None and not self.user.strip():
            raise ValueError(f"case {self.id!r} has an empty `user` message")

    def user_turns(self) -> list[Turn]:
        """The case as a list of turns; the case-level ``expected`` applies to the last."""
        if self.user is not None:
            return [Turn(user=self.user, expected=self.expected)]
        raw = self.turns if self.turns is not None else self.messages or []
        turns = [t if isinstance(t, Turn) else Turn(user=t) for t in raw]
        return turns
