"""What ``decide`` returns: the action, the reply, and a stage-by-stage trace."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from engine.state import ConversationState

__all__ = ["Action", "Decision", "Effect", "TraceEntry"]

Action = Literal["reply", "escalate", "booking_flow", "clarify", "drop", "silent"]


class TraceEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One stage's verdict: ``decision`` is ``pass`` when the stage let the turn continue."""

    stage: str
    decision: str
    reason: str = ""
    scores: dict[str, float] = msgspec.field(default_factory=dict)
    matched: list[str] = msgspec.field(default_factory=list)
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    pack_version: str = ""


class Effect(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Something the service must do besides replying: ``handover``, ``booking_request``, ``mute``."""

    kind: Literal["handover", "booking_request", "mute", "unmute"]
    reason: str = ""
    urgent: bool = False
    data: dict[str, str] = msgspec.field(default_factory=dict)


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    action: Action
    reply: str
    intent: str
    reason: str
    facts_used: list[str]
    booking_slots: dict[str, str]
    effects: list[Effect]
    state: ConversationState
    trace: list[TraceEntry]
    pack_version: str
